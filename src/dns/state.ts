/**
 * The state a running DNS server owns: its held queries and its counters. It has one owner, the
 * server; metrics and the health port read it.
 *
 * @module
 */

import type { Config } from "../config/config.ts";
import { DeniedReplies } from "./sockets/denied_replies.ts";
import type { DispatchStats } from "./sockets/dispatch.ts";
import { type HoldLimits, HoldRegistry } from "./chain/hold_registry.ts";
import type { InFlightStats } from "./chain/in_flight.ts";
import { ReplyCache, type ReplyCacheLimits } from "./chain/reply_cache.ts";
import type { TcpLimits, TcpStats } from "./sockets/tcp_server.ts";

export type { TcpLimits, TcpStats };

/** The flags that set the state's bounds. */
export type StateFlags = Pick<
  Config,
  | "maxPending"
  | "maxPendingPerSource"
  | "waitTimeoutMs"
  | "tcpMax"
  | "tcpMaxPerSource"
  | "tcpIdleTimeoutMs"
  | "cacheSize"
  | "cacheMaxTtlMs"
  | "cacheNegativeTtlMs"
  | "cacheStaleMs"
>;

/** Every bound of the server's state. */
export interface DnsStateLimits extends HoldLimits {
  tcp: TcpLimits;
  /** The cache of forwarded replies; none when left out. */
  cache?: ReplyCacheLimits;
}

const NO_CACHE: ReplyCacheLimits = { maxEntries: 0, maxTtl: 0, negativeTtl: 0, staleMs: 0 };

/**
 * The server's state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DnsServerState } from "./state.ts";
 * const state = new DnsServerState({
 *   maxPending: 10_000, maxPendingPerSource: 256, waitTimeoutMs: 20_000,
 *   tcp: { maxConnections: 1_000, maxConnectionsPerSource: 16, idleTimeoutMs: 10_000 },
 * });
 * assert.equal(state.holds.size, 0);
 * assert.equal(state.forwarding.loops, 0);
 * ```
 */
export class DnsServerState {
  readonly limits: Readonly<DnsStateLimits>;
  readonly holds: HoldRegistry;
  readonly dispatch: DispatchStats = { dropped: 0, rejected: 0 };
  readonly forwarding: InFlightStats = { shared: 0, loops: 0 };
  readonly tcp: TcpStats = { open: 0, evicted: 0, refused: 0 };
  /** Replies the `net` permission refused to send (UDP and TCP). */
  readonly denied: DeniedReplies = new DeniedReplies();
  /** Forwarded replies kept (`maxEntries` 0 when the cache is off). */
  readonly cache: ReplyCache;

  constructor(limits: DnsStateLimits) {
    this.limits = limits;
    this.holds = new HoldRegistry(limits);
    this.cache = new ReplyCache(limits.cache ?? NO_CACHE);
  }

  /**
   * The state with the bounds of a configuration's flags.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { DEFAULT_CONFIG } from "../config/config.ts";
   * import { DnsServerState } from "./state.ts";
   * const state = DnsServerState.fromConfig({ ...DEFAULT_CONFIG, maxPendingPerSource: 8 });
   * assert.equal(state.limits.maxPendingPerSource, 8);
   * assert.equal(state.limits.tcp.maxConnectionsPerSource, 16);
   * assert.equal(state.cache.limits.maxEntries, 10_000);
   * assert.equal(state.cache.limits.negativeTtl, 5); // seconds
   * ```
   */
  static fromConfig(config: StateFlags): DnsServerState {
    return new DnsServerState({
      maxPending: config.maxPending,
      maxPendingPerSource: config.maxPendingPerSource,
      waitTimeoutMs: config.waitTimeoutMs,
      tcp: {
        maxConnections: config.tcpMax,
        maxConnectionsPerSource: config.tcpMaxPerSource,
        idleTimeoutMs: config.tcpIdleTimeoutMs,
      },
      cache: {
        maxEntries: config.cacheSize,
        maxTtl: Math.floor(config.cacheMaxTtlMs / 1000),
        negativeTtl: Math.floor(config.cacheNegativeTtlMs / 1000),
        staleMs: config.cacheStaleMs,
      },
    });
  }
}
