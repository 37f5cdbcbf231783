/**
 * The DNS server in the test or benchmark process on a free loopback port, with test defaults.
 *
 * @module
 */
import { DEFAULT_CONFIG } from "../config/config.ts";
import type { NetworkIndex } from "../index/network_index.ts";
import { type DnsServer, type DnsServerOptions, startDnsServer } from "../dns/server.ts";
import { DnsServerState, type StateFlags } from "../dns/state.ts";
import type { Upstream } from "../dns/upstream/upstream.ts";

/** The search suffix of the tests' namespace `ci`. */
export const TEST_SEARCH_SUFFIX = "ci.svc.cluster.local";

/** What a test may change: server options and the bounds of its state. */
export type TestServerOverrides = Partial<Omit<DnsServerOptions, "state">> & Partial<StateFlags>;

/**
 * Server options for tests: 127.0.0.1 on a free port, TTL 10, namespace `ci`, wait timeout 1 s,
 * at most 100 held, no loop probe; `overrides` change the rest (server options and state bounds).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkIndex } from "../index/network_index.ts";
 * import { testServerOptions } from "./dns_server.ts";
 * const upstream = { exchange: () => Promise.resolve(null), close() {} };
 * const options = testServerOptions(new NetworkIndex(), upstream, { cacheSize: 0, ttl: 30 });
 * assert.deepEqual([options.ttl, options.state.cache.limits.maxEntries], [30, 0]);
 * ```
 */
export function testServerOptions(
  index: NetworkIndex,
  upstream: Upstream,
  overrides: TestServerOverrides = {},
): DnsServerOptions {
  const state = DnsServerState.fromConfig({
    ...DEFAULT_CONFIG,
    waitTimeoutMs: 1_000,
    maxPending: 100,
    ...overrides,
  });
  return {
    listen: { hostname: "127.0.0.1", port: 0 },
    index,
    upstream,
    ttl: 10,
    searchSuffix: TEST_SEARCH_SUFFIX,
    internalDomains: [],
    loopProbe: false,
    ...overrides,
    state,
  };
}

/**
 * Starts a server with {@linkcode testServerOptions}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkIndex } from "../index/network_index.ts";
 * import { startTestDnsServer } from "./dns_server.ts";
 * const upstream = { exchange: () => Promise.resolve(null), close() {} };
 * const server = startTestDnsServer(new NetworkIndex(), upstream);
 * assert.ok(server.address.port > 0);
 * await server.close();
 * ```
 */
export function startTestDnsServer(
  index: NetworkIndex,
  upstream: Upstream,
  overrides: TestServerOverrides = {},
): DnsServer {
  return startDnsServer(testServerOptions(index, upstream, overrides));
}
