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

/**
 * A value read at scrape time, per label combination.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Gauge } from "./metrics.ts";
 * const pods = new Gauge("pods", "Pods indexed.", [], () => [[[], 3]]);
 * assert.match(pods.render(), /^pods 3$/m);
 * ```
 */
export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: Labels,
    readonly read: () => [Labels, number][],
  ) {}

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [labels, value] of this.read()) {
      lines.push(`${this.name}${labelText(this.labelNames, labels)} ${formatNumber(value)}`);
    }
    return lines.join("\n");
  }
}

/**
 * A counter read at scrape time from a value kept elsewhere (e.g. a stats object).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CounterFunc } from "./metrics.ts";
 * const stats = { errors: 2 };
 * assert.match(new CounterFunc("errors_total", "Errors.", [], () => [[[], stats.errors]]).render(), /^errors_total 2$/m);
 * ```
 */
export class CounterFunc extends Gauge {
  override render(): string {
    return super.render().replace(`# TYPE ${this.name} gauge`, `# TYPE ${this.name} counter`);
  }
}

/**
 * Observations in cumulative buckets, per label combination.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Histogram } from "./metrics.ts";
 * const latency = new Histogram("latency_seconds", "Latency.", ["path"], [0.001, 0.01]);
 * latency.observe(["internal"], 0.0004);
 * assert.match(latency.render(), /^latency_seconds_bucket\{path="internal",le="0.001"\} 1$/m);
 * ```
 */
export class Histogram implements Metric {
  readonly #series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: Labels,
    readonly buckets: readonly number[],
  ) {}

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
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += counts[i];
        lines.push(
          `${this.name}_bucket${
            labelText(this.labelNames, labels, `le="${formatNumber(bound)}"`)
          } ${cumulative}`,
        );
      });
      lines.push(`${this.name}_bucket${labelText(this.labelNames, labels, 'le="+Inf"')} ${count}`);
      lines.push(`${this.name}_sum${labelText(this.labelNames, labels)} ${formatNumber(sum)}`);
      lines.push(`${this.name}_count${labelText(this.labelNames, labels)} ${count}`);
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
