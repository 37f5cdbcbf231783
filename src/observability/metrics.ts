/**
 * A small writer of the Prometheus text format (version 0.0.4): counters and histograms kept in
 * maps keyed by their label values, and gauges read when scraped. Small enough to sit on the DNS
 * hot path (see `deno task bench:dns`, metrics on vs off).
 *
 * @module
 */

type Labels = readonly string[];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(names: Labels, values: Labels, extra = ""): string {
  const parts = names.map((name, i) => `${name}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

interface Metric {
  render(): string;
}

/**
 * A monotonically increasing count per label combination.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Counter } from "./metrics.ts";
 * const relists = new Counter("relists_total", "Relists.");
 * relists.inc();
 * assert.deepEqual(relists.render(), "# HELP relists_total Relists.\n# TYPE relists_total counter\nrelists_total 1");
 * ```
 */
export class Counter implements Metric {
  readonly #values = new Map<string, { labels: Labels; value: number }>();

  constructor(readonly name: string, readonly help: string, readonly labelNames: Labels = []) {}

  /** Adds `amount` (default 1) for the given label values. */
  inc(labels: Labels = [], amount = 1): void {
    const key = labels.join("\u0000");
    const entry = this.#values.get(key);
    if (entry) entry.value += amount;
    else this.#values.set(key, { labels: [...labels], value: amount });
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.#values.values()) {
      lines.push(`${this.name}${labelText(this.labelNames, labels)} ${formatNumber(value)}`);
    }
    return lines.join("\n");
  }
}

/** A counter only grows; a gauge goes up and down. */
export type ScrapedType = "counter" | "gauge";

/** A scrape-time metric: its name, type, help, label names, and how its values are read. */
export interface ScrapedDefinition {
  name: string;
  type: ScrapedType;
  help: string;
  labels?: Labels;
  read: () => [Labels, number][];
}

/**
 * A metric whose values live elsewhere and are read at scrape time: a counter or a gauge.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Scraped } from "./metrics.ts";
 * const stats = { errors: 2 };
 * const errors = new Scraped({ name: "errors_total", type: "counter", help: "Errors.", read: () => [[[], stats.errors]] });
 * assert.equal(errors.render(), "# HELP errors_total Errors.\n# TYPE errors_total counter\nerrors_total 2");
 * const pods = new Scraped({ name: "pods", type: "gauge", help: "Pods indexed.", read: () => [[[], 3]] });
 * assert.match(pods.render(), /^# TYPE pods gauge$/m);
 * ```
 */
export class Scraped implements Metric {
  readonly name: string;
  readonly type: ScrapedType;
  readonly help: string;
  readonly labelNames: Labels;
  readonly read: () => [Labels, number][];

  constructor(definition: ScrapedDefinition) {
    this.name = definition.name;
    this.type = definition.type;
    this.help = definition.help;
    this.labelNames = definition.labels ?? [];
    this.read = definition.read;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const [labels, value] of this.read()) {
      lines.push(`${this.name}${labelText(this.labelNames, labels)} ${formatNumber(value)}`);
    }
    return lines.join("\n");
  }
}

/** One histogram series: its buckets' own (not cumulative) counts, sum and count. */
export interface HistogramSeries {
  name: string;
  labelNames: Labels;
  labels: Labels;
  bounds: readonly number[];
  bucketCounts: ArrayLike<number>;
  sum: number;
  count: number;
}

/**
 * The sample lines of one histogram series: cumulative buckets, `+Inf`, sum and count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { histogramLines } from "./metrics.ts";
 * const lines = histogramLines({
 *   name: "t_seconds", labelNames: ["path"], labels: ["internal"],
 *   bounds: [0.01, 0.1], bucketCounts: [2, 1], sum: 0.05, count: 4,
 * });
 * assert.deepEqual(lines, [
 *   't_seconds_bucket{path="internal",le="0.01"} 2',
 *   't_seconds_bucket{path="internal",le="0.1"} 3',
 *   't_seconds_bucket{path="internal",le="+Inf"} 4',
 *   't_seconds_sum{path="internal"} 0.05',
 *   't_seconds_count{path="internal"} 4',
 * ]);
 * ```
 */
export function histogramLines(series: HistogramSeries): string[] {
  const { name, labelNames, labels, bounds, bucketCounts, sum, count } = series;
  const lines: string[] = [];
  let cumulative = 0;
  bounds.forEach((bound, i) => {
    cumulative += bucketCounts[i];
    lines.push(
      `${name}_bucket${labelText(labelNames, labels, `le="${formatNumber(bound)}"`)} ${cumulative}`,
    );
  });
  lines.push(`${name}_bucket${labelText(labelNames, labels, 'le="+Inf"')} ${count}`);
  lines.push(`${name}_sum${labelText(labelNames, labels)} ${formatNumber(sum)}`);
  lines.push(`${name}_count${labelText(labelNames, labels)} ${count}`);
  return lines;
}

/**
 * Observations in cumulative buckets, per label combination.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Histogram } from "./metrics.ts";
 * const latency = new Histogram({ name: "latency_seconds", help: "Latency.", labels: ["path"], buckets: [0.001, 0.01] });
 * latency.observe(["internal"], 0.0004);
 * assert.match(latency.render(), /^latency_seconds_bucket\{path="internal",le="0.001"\} 1$/m);
 * ```
 */
export class Histogram implements Metric {
  readonly #series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();

  readonly name: string;
  readonly help: string;
  readonly labelNames: Labels;
  readonly buckets: readonly number[];

  constructor(
    definition: { name: string; help: string; labels: Labels; buckets: readonly number[] },
  ) {
    this.name = definition.name;
    this.help = definition.help;
    this.labelNames = definition.labels;
    this.buckets = definition.buckets;
  }

  /** Records `value` for the given label values. */
  observe(labels: Labels, value: number): void {
    const key = labels.join("\u0000");
    let series = this.#series.get(key);
    if (!series) {
      series = {
        labels: [...labels],
        counts: new Array(this.buckets.length).fill(0),
        sum: 0,
        count: 0,
      };
      this.#series.set(key, series);
    }
    const buckets = this.buckets;
    let i = 0;
    while (i < buckets.length && value > buckets[i]) i++;
    if (i < buckets.length) series.counts[i]++;
    series.sum += value;
    series.count++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      lines.push(...histogramLines({
        name: this.name,
        labelNames: this.labelNames,
        labels,
        bounds: this.buckets,
        bucketCounts: counts,
        sum,
        count,
      }));
    }
    return lines.join("\n");
  }
}

/**
 * A set of metrics rendered together.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Counter, Registry } from "./metrics.ts";
 * const registry = new Registry();
 * const hits = registry.add(new Counter("hits_total", "Hits.", ["path"]));
 * hits.inc(["internal"]);
 * assert.deepEqual(registry.render(), "# HELP hits_total Hits.\n# TYPE hits_total counter\nhits_total{path=\"internal\"} 1\n");
 * ```
 */
export class Registry {
  readonly #metrics: Metric[] = [];

  add<T extends Metric>(metric: T): T {
    this.#metrics.push(metric);
    return metric;
  }

  /** The exposition text. */
  render(): string {
    return this.#metrics.map((m) => m.render()).join("\n") + "\n";
  }
}

/** The content type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
