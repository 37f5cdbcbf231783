/**
 * The DNS server: UDP and TCP on one address, the handler chain internal → hold → forward.
 *
 * @module
 */

import type { HostPort } from "../config/host_port.ts";
import type { NetworkIndex } from "../index/network_index.ts";
import { chain, type DnsResolver } from "./handler.ts";
import type { DispatchStats, QueryObserver } from "./dispatch.ts";
import { forwardHandler } from "./forward.ts";
import { holdHandler, HoldRegistry } from "./hold.ts";
import { internalAnswerHandler } from "./internal_answer.ts";
import { serveTcp, type TcpServer } from "./tcp_server.ts";
import { serveUdp } from "./udp_server.ts";
import type { Upstream } from "./upstream.ts";

/** Everything the DNS server needs. */
export interface DnsServerOptions {
  listen: HostPort;
  index: NetworkIndex;
  upstream: Upstream;
  ttl: number;
  /** `<namespace>.svc.<cluster-domain>` */
  searchSuffix: string;
  internalDomains: readonly string[];
  waitTimeoutMs: number;
  maxPending: number;
  /** Idle TCP connections are closed after this long (default 10 s). */
  tcpIdleTimeoutMs?: number;
  /** Told of every answered query (metrics, debug logs). */
  observe?: QueryObserver;
  /** Counters of held queries and bad packets, when the caller wants to read them. */
  holds?: HoldRegistry;
  stats?: DispatchStats;
}

/** A running DNS server. */
export interface DnsServer {
  /** The bound address (the port is real even when 0 was asked). */
  address: HostPort;
  holds: HoldRegistry;
  stats: DispatchStats;
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
 * Builds the resolver chain of DESIGN section 3.
 *
 * @example
 * ```ts
 * import { NetworkIndex } from "../index/network_index.ts";
 * import { DnsUpstream } from "./upstream.ts";
 * import { HoldRegistry } from "./hold.ts";
 * import { buildResolver } from "./server.ts";
 * const upstream = new DnsUpstream({ hostname: "127.0.0.1", port: 5300 }, 2000);
 * const resolve = buildResolver({ listen: { hostname: "127.0.0.1", port: 0 }, index: new NetworkIndex(), upstream, ttl: 10, searchSuffix: "ci.svc.cluster.local", internalDomains: [], waitTimeoutMs: 20000, maxPending: 100 }, new HoldRegistry(100));
 * upstream.close();
 * ```
 */
export function buildResolver(options: DnsServerOptions, holds: HoldRegistry): DnsResolver {
  return chain(
    internalAnswerHandler(options),
    holdHandler(options, holds),
    forwardHandler(options.upstream),
  );
}

/**
 * Starts the DNS server on UDP and TCP.
 *
 * @example
 * ```ts
 * import { NetworkIndex } from "../index/network_index.ts";
 * import { DnsUpstream } from "./upstream.ts";
 * import { startDnsServer } from "./server.ts";
 * const upstream = new DnsUpstream({ hostname: "127.0.0.1", port: 5300 }, 2000);
 * const server = startDnsServer({ listen: { hostname: "127.0.0.1", port: 0 }, index: new NetworkIndex(), upstream, ttl: 10, searchSuffix: "ci.svc.cluster.local", internalDomains: [], waitTimeoutMs: 20000, maxPending: 100 });
 * await server.close();
 * upstream.close();
 * ```
 */
export function startDnsServer(options: DnsServerOptions): DnsServer {
  const holds = options.holds ?? new HoldRegistry(options.maxPending);
  const stats: DispatchStats = options.stats ?? { dropped: 0, rejected: 0 };
  const resolve = buildResolver(options, holds);
  /** replies being worked out or sent: the drain waits for them */
  const inFlight = new Set<Promise<unknown>>();
  const track = (reply: Promise<unknown>) => {
    inFlight.add(reply);
    reply.finally(() => inFlight.delete(reply));
  };
  const udp = Deno.listenDatagram({ ...options.listen, transport: "udp" });
  const port = (udp.addr as Deno.NetAddr).port;
  let tcp: Deno.Listener;
  try {
    tcp = Deno.listen({ hostname: options.listen.hostname, port });
  } catch (error) {
    udp.close();
    throw error;
  }
  const udpDone = serveUdp(udp, resolve, stats, options.observe, track);
  const tcpServer: TcpServer = serveTcp(tcp, resolve, stats, {
    idleTimeoutMs: options.tcpIdleTimeoutMs ?? 10_000,
    observe: options.observe,
    track,
  });
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
    holds,
    stats,
    async drain(timeoutMs) {
      tcpServer.stopAccepting();
      holds.close();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise<void>((done) => timer = setTimeout(done, timeoutMs)),
      ]);
      clearTimeout(timer);
      await close();
    },
    close,
  };
}
