/**
 * The DNS server: UDP and TCP on one address, and the handler chain.
 *
 * @module
 */

import type { HostPort } from "../config/host_port.ts";
import type { NetworkIndex } from "../index/network_index.ts";
import { cacheHandler } from "./chain/cache.ts";
import {
  chain,
  type DnsHandler,
  type DnsRequest,
  type DnsResolver,
  stampArrival,
} from "./chain/handler.ts";
import type { QueryObserver } from "./sockets/dispatch.ts";
import { forwardHandler } from "./chain/forward.ts";
import { holdHandler } from "./chain/hold.ts";
import { shareInFlight } from "./chain/in_flight.ts";
import { internalAnswerHandler } from "./chain/internal_answer.ts";
import { LoopProbe } from "./chain/loop_probe.ts";
import { PendingReplies } from "./sockets/pending_replies.ts";
import type { NameRules } from "./wire/names.ts";
import type { DnsServerState } from "./state.ts";
import { serveTcp, type TcpServer } from "./sockets/tcp_server.ts";
import { serveUdp } from "./sockets/udp_server.ts";
import type { Upstream } from "./upstream/upstream.ts";

/** Everything the DNS server needs. */
export interface DnsServerOptions extends NameRules {
  listen: HostPort;
  index: NetworkIndex;
  upstream: Upstream;
  ttl: number;
  /** Held queries, bounds and counters: owned by this server, read by metrics. */
  state: DnsServerState;
  /** The upstream servers' addresses: a query from one of them for a name being asked of it is a loop. */
  upstreamAddresses?: readonly HostPort[];
  /** Told of every query seen coming back through a forwarding loop. */
  onLoop?: (request: DnsRequest) => void;
  /** Send the start-up loop probe upstream (default true). */
  loopProbe?: boolean;
  /** Told of every answered query (metrics, debug logs). */
  observe?: QueryObserver;
}

/** A running DNS server. */
export interface DnsServer {
  /** The bound address (the port is real even when 0 was asked). */
  address: HostPort;
  state: DnsServerState;
  /**
   * Graceful stop: no new TCP connections, held queries released (answered from the index or
   * SERVFAIL), UDP keeps answering until the queries in flight are done (at most `timeoutMs`),
   * then everything closes.
   */
  drain(timeoutMs: number): Promise<void>;
  /** Closes both sockets and waits for the loops to end; held queries are released first. */
  close(): Promise<void>;
}

/**
 * Builds the resolver chain of docs/dns.md, in one place: internal answer → hold → loop
 * probe → cache (unless `--cache-size 0`) → in-flight sharing → forward.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkIndex } from "../index/network_index.ts";
 * import { LoopProbe } from "./chain/loop_probe.ts";
 * import { PendingReplies } from "./sockets/pending_replies.ts";
 * import { buildResolver } from "./server.ts";
 * import { DnsServerState } from "./state.ts";
 * const state = new DnsServerState({ maxPending: 100, maxPendingPerSource: 10, waitTimeoutMs: 1000, tcp: { maxConnections: 10, maxConnectionsPerSource: 2, idleTimeoutMs: 1000 } });
 * const upstream = { exchange: () => Promise.resolve(null), close() {} };
 * const resolve = buildResolver({ listen: { hostname: "127.0.0.1", port: 0 }, index: new NetworkIndex(), upstream, ttl: 10, searchSuffix: "ci.svc.cluster.local", internalDomains: [], state }, new LoopProbe(state.forwarding));
 * assert.equal(typeof resolve, "function");
 * ```
 */
export function buildResolver(options: DnsServerOptions, probe: LoopProbe): DnsResolver {
  const upstreamHosts = new Set((options.upstreamAddresses ?? []).map((a) => a.hostname));
  const { cache } = options.state;
  const upstream = options.upstream;
  const caching: DnsHandler[] = cache.limits.maxEntries > 0
    ? [cacheHandler({ cache, upstreamsDown: () => upstream.allDown?.() ?? false })]
    : [];
  return chain(
    internalAnswerHandler(options),
    stampArrival,
    holdHandler(options, options.state.holds),
    probe.handler,
    ...caching,
    shareInFlight({
      stats: options.state.forwarding,
      isUpstreamAddress: (ip) => upstreamHosts.has(ip),
      onLoop: options.onLoop,
    }),
    forwardHandler(options.upstream),
  );
}

/** Tries for one UDP and TCP port pair when the port is chosen by the system (port 0). */
const EPHEMERAL_ATTEMPTS = 10;

/**
 * The UDP socket and the TCP listener on one port. With port 0 the system picks the UDP port,
 * and its TCP twin may be taken (by an outgoing connection's ephemeral port): another pair is
 * tried then, a few times. `listenTcp` is Deno's unless a test stands in for it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bindBoth } from "./server.ts";
 * let calls = 0;
 * const { udp, tcp, port } = bindBoth({ hostname: "127.0.0.1", port: 0 }, (options) => {
 *   if (++calls === 1) throw new Deno.errors.AddrInUse("taken"); // the first twin is taken
 *   return Deno.listen(options);
 * });
 * assert.equal(calls, 2);
 * assert.equal((udp.addr as Deno.NetAddr).port, port);
 * assert.equal((tcp.addr as Deno.NetAddr).port, port);
 * udp.close();
 * tcp.close();
 * assert.throws(
 *   () => bindBoth({ hostname: "127.0.0.1", port: 0 }, () => { throw new Deno.errors.AddrInUse("always"); }),
 *   Deno.errors.AddrInUse, // given up after a few pairs
 * );
 * ```
 */
export function bindBoth(
  listen: HostPort,
  listenTcp: (options: { hostname: string; port: number }) => Deno.Listener = Deno.listen,
): { udp: Deno.DatagramConn; tcp: Deno.Listener; port: number } {
  for (let attempt = 1;; attempt++) {
    const udp = Deno.listenDatagram({ ...listen, transport: "udp" });
    const port = (udp.addr as Deno.NetAddr).port;
    try {
      return { udp, tcp: listenTcp({ hostname: listen.hostname, port }), port };
    } catch (error) {
      udp.close();
      const retry = listen.port === 0 && error instanceof Deno.errors.AddrInUse &&
        attempt < EPHEMERAL_ATTEMPTS;
      if (!retry) throw error;
    }
  }
}

/**
 * Starts the DNS server on UDP and TCP.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkIndex } from "../index/network_index.ts";
 * import { startDnsServer } from "./server.ts";
 * import { DnsServerState } from "./state.ts";
 * const state = new DnsServerState({ maxPending: 100, maxPendingPerSource: 10, waitTimeoutMs: 1000, tcp: { maxConnections: 10, maxConnectionsPerSource: 2, idleTimeoutMs: 1000 } });
 * const upstream = { exchange: () => Promise.resolve(null), close() {} };
 * const server = startDnsServer({ listen: { hostname: "127.0.0.1", port: 0 }, index: new NetworkIndex(), upstream, ttl: 10, searchSuffix: "ci.svc.cluster.local", internalDomains: [], state, loopProbe: false });
 * assert.ok(server.address.port > 0);
 * await server.close();
 * ```
 */
export function startDnsServer(options: DnsServerOptions): DnsServer {
  const { state } = options;
  const { holds } = state;
  const stats = state.dispatch;
  const probe = new LoopProbe(state.forwarding, options.onLoop);
  const resolve = buildResolver(options, probe);
  /** replies being worked out or sent: the drain waits for them */
  const pending = new PendingReplies();
  const { udp, tcp, port } = bindBoth(options.listen);
  const { denied } = state;
  const udpDone = serveUdp(udp, { resolve, stats, observe: options.observe, pending, denied });
  const tcpServer: TcpServer = serveTcp(tcp, {
    resolve,
    stats,
    tcp: state.tcp,
    limits: state.limits.tcp,
    observe: options.observe,
    pending,
    denied,
  });
  if (options.loopProbe ?? true) probe.send(options.upstream).catch(() => {});
  const close = async () => {
    holds.close();
    try {
      udp.close();
    } catch { /* closed */ }
    await tcpServer.close();
    await Promise.all([udpDone, tcpServer.finished]);
  };
  return {
    address: { hostname: options.listen.hostname, port },
    state,
    async drain(timeoutMs) {
      tcpServer.stopAccepting();
      holds.close();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        pending.idle(),
        new Promise<void>((done) => timer = setTimeout(done, timeoutMs)),
      ]);
      clearTimeout(timer);
      await close();
    },
    close,
  };
}
