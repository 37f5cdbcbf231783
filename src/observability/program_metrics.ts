/**
 * The program's metrics: DNS queries by type, path and rcode with latency per path, upstream
 * trouble, held queries, the index, the watch loop, admission reviews, build info. Counters that
 * other parts already keep are read at scrape time; only queries and reviews are counted here,
 * queries in typed arrays so that counting one allocates nothing.
 *
 * @module
 */

import type { QueryObserver } from "../dns/dispatch.ts";
import type { DnsServerState } from "../dns/state.ts";
import type { UpstreamStats } from "../dns/upstream.ts";
import type { InvalidAliasLog } from "../kube/invalid_aliases.ts";
import type { NetworkIndex } from "../index/network_index.ts";
import type { PodWatcherStats } from "../kube/pod_watcher.ts";
import type { ReviewResult } from "../webhook/review.ts";
import { Counter, CounterFunc, Gauge, Histogram, Registry } from "./metrics.ts";

/** Where the scrape-time values come from. */
export interface MetricSources {
  index: NetworkIndex;
  dns: DnsServerState;
  upstream: UpstreamStats;
  invalidAliases: InvalidAliasLog;
  watcher: PodWatcherStats;
  version: string;
}

const QTYPES: [number, string][] = [
  [1, "A"],
  [2, "NS"],
  [5, "CNAME"],
  [6, "SOA"],
  [12, "PTR"],
  [15, "MX"],
  [16, "TXT"],
  [28, "AAAA"],
  [33, "SRV"],
  [64, "SVCB"],
  [65, "HTTPS"],
  [255, "ANY"],
];
/** qtype number → slot in the counters; unknown types share the last slot, "other". */
const QTYPE_SLOTS = new Map(QTYPES.map(([qtype], slot) => [qtype, slot]));
const QTYPE_SLOT_NAMES = [...QTYPES.map(([, name]) => name), "other"];
const RCODE_NAMES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];
/** rcode slots: the six names, then "other", then "none" (nothing was sent). */
const RCODE_SLOT_NAMES = [...RCODE_NAMES, "other", "none"];
const PATHS = ["internal", "held", "forwarded"] as const;
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

/**
 * The name of a query type, with bounded cardinality.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { qtypeName } from "./program_metrics.ts";
 * assert.deepEqual(qtypeName(28), "AAAA");
 * assert.deepEqual(qtypeName(99), "other");
 * ```
 */
export function qtypeName(qtype: number): string {
  return QTYPE_SLOT_NAMES[QTYPE_SLOTS.get(qtype) ?? QTYPE_SLOT_NAMES.length - 1];
}

/** The rcode slot of a reply. */
function rcodeSlot(reply: Uint8Array | null): number {
  if (!reply) return RCODE_SLOT_NAMES.length - 1;
  const code = reply[3] & 0x0f;
  return code < RCODE_NAMES.length ? code : RCODE_NAMES.length;
}

/**
 * The rcode of a reply as text (`none` when nothing was sent).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rcodeName } from "./program_metrics.ts";
 * assert.deepEqual(rcodeName(null), "none");
 * ```
 */
export function rcodeName(reply: Uint8Array | null): string {
  return RCODE_SLOT_NAMES[rcodeSlot(reply)];
}

/** `kubedock_dns_queries_total` and `kubedock_dns_query_duration_seconds`, on typed arrays. */
class QueryMetrics {
  readonly #counts = new Float64Array(
    QTYPE_SLOT_NAMES.length * PATHS.length * RCODE_SLOT_NAMES.length,
  );
  readonly #buckets = new Float64Array(PATHS.length * LATENCY_BUCKETS.length);
  readonly #sums = new Float64Array(PATHS.length);
  readonly #totals = new Float64Array(PATHS.length);

  record(qtype: number, path: string, reply: Uint8Array | null, seconds: number): void {
    const p = path === "internal" ? 0 : path === "held" ? 1 : 2;
    const q = QTYPE_SLOTS.get(qtype) ?? QTYPE_SLOT_NAMES.length - 1;
    this.#counts[(q * PATHS.length + p) * RCODE_SLOT_NAMES.length + rcodeSlot(reply)]++;
    let b = 0;
    while (b < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[b]) b++;
    if (b < LATENCY_BUCKETS.length) this.#buckets[p * LATENCY_BUCKETS.length + b]++;
    this.#sums[p] += seconds;
    this.#totals[p]++;
  }

  render(): string {
    const counter = "kubedock_dns_queries_total";
    const lines = [
      `# HELP ${counter} DNS queries answered, by type, path taken and rcode.`,
      `# TYPE ${counter} counter`,
    ];
    QTYPE_SLOT_NAMES.forEach((qtype, q) =>
      PATHS.forEach((path, p) =>
        RCODE_SLOT_NAMES.forEach((rcode, r) => {
          const n = this.#counts[(q * PATHS.length + p) * RCODE_SLOT_NAMES.length + r];
          if (n > 0) {
            lines.push(`${counter}{qtype="${qtype}",path="${path}",rcode="${rcode}"} ${n}`);
          }
        })
      )
    );
    const histogram = "kubedock_dns_query_duration_seconds";
    lines.push(
      `# HELP ${histogram} Time from a query's arrival to its reply, by path.`,
      `# TYPE ${histogram} histogram`,
    );
    PATHS.forEach((path, p) => {
      if (this.#totals[p] === 0) return;
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((bound, b) => {
        cumulative += this.#buckets[p * LATENCY_BUCKETS.length + b];
        lines.push(`${histogram}_bucket{path="${path}",le="${bound}"} ${cumulative}`);
      });
      lines.push(`${histogram}_bucket{path="${path}",le="+Inf"} ${this.#totals[p]}`);
      lines.push(`${histogram}_sum{path="${path}"} ${this.#sums[p]}`);
      lines.push(`${histogram}_count{path="${path}"} ${this.#totals[p]}`);
    });
    return lines.join("\n");
  }
}

/**
 * Every metric of the program.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_CONFIG } from "../config/config.ts";
 * import { DnsServerState } from "../dns/state.ts";
 * import { NetworkIndex } from "../index/network_index.ts";
 * import { InvalidAliasLog } from "../kube/invalid_aliases.ts";
 * import { ProgramMetrics } from "./program_metrics.ts";
 * const metrics = new ProgramMetrics({
 *   index: new NetworkIndex(),
 *   dns: DnsServerState.fromConfig(DEFAULT_CONFIG),
 *   upstream: { timeouts: 0, errors: 0 },
 *   invalidAliases: new InvalidAliasLog(() => {}),
 *   watcher: { relists: 1, reconnects: 0, errors: 0, events: {} },
 *   version: "0.1.0",
 * });
 * assert.match(metrics.render(), /^kubedock_dns_watch_relists_total 1$/m);
 * ```
 */
export class ProgramMetrics {
  readonly registry = new Registry();
  readonly #queries = new QueryMetrics();
  readonly #reviews: Counter;
  readonly #reviewLatency: Histogram;

  constructor(sources: MetricSources) {
    const r = this.registry;
    const { index, dns, upstream, watcher, invalidAliases } = sources;
    const { holds, dispatch, forwarding, tcp } = dns;
    const one = (value: () => number) => () => [[[], value()]] as [string[], number][];
    r.add(this.#queries);
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
        one(() => upstream.timeouts),
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_upstream_errors_total",
        "Upstream attempts that failed otherwise.",
        [],
        one(() => upstream.errors),
      ),
    );
    r.add(
      new Gauge(
        "kubedock_dns_held_queries",
        "Search-suffixed internal names in the hold path now (asking upstream, or waiting for the alias); bounded by --max-pending and --max-pending-per-source.",
        [],
        one(() => holds.size),
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_held_queries_total",
        "Queries that took the hold path, by how they ended (answered, relayed: upstream had the name, timeout, released, overflow, source_limit).",
        [
          "outcome",
        ],
        () => Object.entries(holds.outcomes).map(([outcome, n]) => [[outcome], n]),
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_shared_queries_total",
        "Forwarded queries that joined an identical exchange already in flight.",
        [],
        one(() => forwarding.shared),
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_forwarding_loops_total",
        "Queries that came back through a forwarding loop (the start-up probe, or a query for a name being asked upstream).",
        [],
        one(() => forwarding.loops),
      ),
    );
    r.add(
      new Gauge(
        "kubedock_dns_tcp_connections",
        "Open DNS-over-TCP connections; bounded by --tcp-max and --tcp-max-per-source.",
        [],
        one(() => tcp.open),
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_tcp_connections_closed_total",
        "Connections closed at a bound: evicted (an idle one made room) or refused (the new one).",
        ["reason"],
        () => [[["evicted"], tcp.evicted], [["refused"], tcp.refused]],
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_invalid_aliases_total",
        "Hostalias annotations left out of the index because they cannot be encoded (each pod and annotation once).",
        [],
        one(() => invalidAliases.count),
      ),
    );
    r.add(
      new Gauge(
        "process_resident_memory_bytes",
        "Resident memory of the process.",
        [],
        one(() => Deno.memoryUsage().rss),
      ),
    );
    r.add(
      new Gauge(
        "kubedock_dns_indexed_pods",
        "Pods in the network index.",
        [],
        one(() => index.podCount),
      ),
    );
    r.add(
      new Gauge(
        "kubedock_dns_indexed_networks",
        "Networks with at least one indexed pod.",
        [],
        one(() => index.networkCount),
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_watch_relists_total",
        "Full pod lists applied.",
        [],
        one(() => watcher.relists),
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_watch_reconnects_total",
        "Watch streams resumed after the server or the idle timer ended them.",
        [],
        one(() => watcher.reconnects),
      ),
    );
    r.add(
      new CounterFunc(
        "kubedock_dns_watch_errors_total",
        "Failed list or watch attempts (each followed by a back-off).",
        [],
        one(() => watcher.errors),
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

  /** The DNS server's observer: no allocation per query. */
  readonly observeQuery: QueryObserver = (request, reply) => {
    const seconds = (performance.now() - request.receivedAt) / 1000;
    this.#queries.record(request.query.qtype, request.path ?? "forwarded", reply, seconds);
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
