/**
 * The program's metrics: DNS queries by type, path and rcode with latency per path, upstream
 * trouble, held queries, the index, the watch loop, admission reviews, build info. Counters that
 * other parts already keep are read at scrape time; only queries and reviews are counted here.
 *
 * @module
 */

import type { DispatchStats, QueryObserver } from "../dns/dispatch.ts";
import type { HoldRegistry } from "../dns/hold.ts";
import type { UpstreamStats } from "../dns/upstream.ts";
import type { NetworkIndex } from "../index/network_index.ts";
import type { PodWatcherStats } from "../kube/pod_watcher.ts";
import type { ReviewResult } from "../webhook/review.ts";
import { Counter, CounterFunc, Gauge, Histogram, Registry } from "./metrics.ts";

/** Where the scrape-time values come from. */
export interface MetricSources {
  index: NetworkIndex;
  holds: HoldRegistry;
  dispatch: DispatchStats;
  upstream: UpstreamStats;
  watcher: PodWatcherStats;
  version: string;
}

const QTYPE_NAMES: Record<number, string> = {
  1: "A",
  2: "NS",
  5: "CNAME",
  6: "SOA",
  12: "PTR",
  15: "MX",
  16: "TXT",
  28: "AAAA",
  33: "SRV",
  64: "SVCB",
  65: "HTTPS",
  255: "ANY",
};
const RCODE_NAMES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];
const LATENCY_BUCKETS = [
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.1,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];

/** Names of a query type with bounded cardinality. */
export function qtypeName(qtype: number): string {
  return QTYPE_NAMES[qtype] ?? "other";
}

/** The rcode of a reply as text (`none` when nothing was sent). */
export function rcodeName(reply: Uint8Array | null): string {
  if (!reply) return "none";
  return RCODE_NAMES[reply[3] & 0x0f] ?? "other";
}

/**
 * Every metric of the program.
 *
 * @example
 * ```ts
 * import { ProgramMetrics } from "./program_metrics.ts";
 * // const metrics = new ProgramMetrics({ index, holds, dispatch, upstream, watcher, version: "0.1.0" });
 * // startDnsServer({ ..., observe: metrics.observeQuery });
 * // metrics.render();
 * ```
 */
export class ProgramMetrics {
  readonly registry = new Registry();
  readonly #queries: Counter;
  readonly #latency: Histogram;
  readonly #reviews: Counter;
  readonly #reviewLatency: Histogram;

  constructor(sources: MetricSources) {
    const r = this.registry;
    const { index, holds, dispatch, upstream, watcher } = sources;
    this.#queries = r.add(
      new Counter(
        "kubedock_dns_queries_total",
        "DNS queries answered, by type, path taken and rcode.",
        ["qtype", "path", "rcode"],
      ),
    );
    this.#latency = r.add(
      new Histogram(
        "kubedock_dns_query_duration_seconds",
        "Time from a query's arrival to its reply, by path.",
        ["path"],
        LATENCY_BUCKETS,
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_bad_packets_total",
        "Malformed messages: dropped, or rejected with NOTIMP/FORMERR.",
        ["action"],
        () => [[["dropped"], dispatch.dropped], [["rejected"], dispatch.rejected]],
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_upstream_timeouts_total",
        "Upstream attempts that timed out.",
        [],
        () => [[[], upstream.timeouts]],
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_upstream_errors_total",
        "Upstream attempts that failed otherwise.",
        [],
        () => [[[], upstream.errors]],
      ),
    );
    r.add(
      new Gauge(
        "kubedock_dns_held_queries",
        "Queries held now, waiting for an alias to become answerable.",
        [],
        () => [[[], holds.size]],
      ),
    );
    r.add(
      new CounterFunc("kubedock_dns_held_queries_total", "Held queries by how they ended.", [
        "outcome",
      ], () => Object.entries(holds.outcomes).map(([outcome, n]) => [[outcome], n])),
    );
    r.add(
      new Gauge(
        "kubedock_dns_indexed_pods",
        "Pods in the network index.",
        [],
        () => [[[], index.podCount]],
      ),
    );
    r.add(
      new Gauge(
        "kubedock_dns_indexed_networks",
        "Networks with at least one indexed pod.",
        [],
        () => [[[], index.networkCount]],
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_watch_relists_total",
        "Full pod lists applied.",
        [],
        () => [[[], watcher.relists]],
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_watch_reconnects_total",
        "Watch streams resumed after the server or the idle timer ended them.",
        [],
        () => [[[], watcher.reconnects]],
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_watch_errors_total",
        "Failed list or watch attempts (followed by a back-off).",
        [],
        () => [[[], watcher.errors]],
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_watch_events_total",
        "Watch events applied, by type.",
        ["type"],
        () => Object.entries(watcher.events).map(([type, n]) => [[type], n]),
      ),
    );
    this.#reviews = r.add(
      new Counter(
        "kubedock_dns_admission_reviews_total",
        "Admission reviews, by operation and result.",
        ["operation", "result"],
      ),
    );
    this.#reviewLatency = r.add(
      new Histogram(
        "kubedock_dns_admission_duration_seconds",
        "Time to decide an admission review.",
        ["operation"],
        LATENCY_BUCKETS,
      ),
    );
    r.add(
      new Gauge(
        "kubedock_dns_build_info",
        "Build information.",
        ["version", "deno"],
        () => [[[sources.version, Deno.version.deno], 1]],
      ),
    );
  }

  /** The DNS server's observer. */
  readonly observeQuery: QueryObserver = (request, reply) => {
    const path = request.path ?? "forwarded";
    this.#queries.inc([qtypeName(request.query.qtype), path, rcodeName(reply)]);
    this.#latency.observe([path], (performance.now() - request.receivedAt) / 1000);
  };

  /** The webhook's observer. */
  readonly observeReview = (result: ReviewResult, elapsedMs: number): void => {
    const { operation, allowed } = result.summary;
    const outcome = result.status !== 200 ? "error" : allowed ? "allowed" : "denied";
    this.#reviews.inc([operation || "unknown", outcome]);
    this.#reviewLatency.observe([operation || "unknown"], elapsedMs / 1000);
  };

  /** The exposition text. */
  render(): string {
    return this.registry.render();
  }
}
