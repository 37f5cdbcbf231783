/**
 * The program's metrics: DNS queries by type, path and rcode with latency per path, upstream
 * trouble, held queries, the index, the watch loop, admission reviews, build info. Counters that
 * other parts already keep are read at scrape time; only queries and reviews are counted here,
 * queries in typed arrays so that counting one allocates nothing.
 *
 * @module
 */

import type { QueryObserver } from "../dns/sockets/dispatch.ts";
import { rcodeOf } from "../dns/wire/message.ts";
import { type MetricSources, SCRAPED } from "./metric_table.ts";
import { Counter, Histogram, histogramLines, Registry, Scraped } from "./metrics.ts";

export type { MetricSources };

/**
 * What the metrics read of a decided admission review: the webhook's own result has this shape,
 * so the dependency points from the webhook to here and not back.
 */
export interface ReviewObservation {
  /** HTTP status of the review's answer: 200, or 400 for a bad request. */
  status: number;
  summary: { operation: string; allowed: boolean };
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
const PATHS = ["internal", "held", "forwarded", "cached"] as const;
/** path → slot */
const PATH_SLOTS = new Map<string, number>(PATHS.map((path, slot) => [path, slot]));
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
  const code = rcodeOf(reply);
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
    const p = PATH_SLOTS.get(path) ?? 2;
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
      lines.push(...histogramLines({
        name: histogram,
        labelNames: ["path"],
        labels: [path],
        bounds: LATENCY_BUCKETS,
        bucketCounts: this.#buckets.subarray(
          p * LATENCY_BUCKETS.length,
          (p + 1) * LATENCY_BUCKETS.length,
        ),
        sum: this.#sums[p],
        count: this.#totals[p],
      }));
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
 *   upstream: { servers: [] },
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
    r.add(this.#queries);
    for (const metric of SCRAPED) {
      r.add(new Scraped({ ...metric, read: () => metric.read(sources) }));
    }
    this.#reviews = r.add(
      new Counter(
        "kubedock_dns_admission_reviews_total",
        "Admission reviews, by operation and result.",
        ["operation", "result"],
      ),
    );
    this.#reviewLatency = r.add(
      new Histogram({
        name: "kubedock_dns_admission_duration_seconds",
        help: "Time to decide an admission review.",
        labels: ["operation"],
        buckets: LATENCY_BUCKETS,
      }),
    );
  }

  /** The DNS server's observer: no allocation per query. */
  readonly observeQuery: QueryObserver = (request, reply, seconds) => {
    this.#queries.record(request.query.qtype, request.path ?? "forwarded", reply, seconds);
  };

  /** The webhook's observer. */
  readonly observeReview = (result: ReviewObservation, elapsedMs: number): void => {
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
