/**
 * The arithmetic of `bench:compare`: each measured run as a ratio to the bare responder runs just
 * before and after it, whether the machine let the run measure the server (drift, busy share), the
 * median of a revision's rounds, and whether two revisions differ beyond the spread of their rounds.
 *
 * @module
 */

/**
 * The median of some numbers (the mean of the middle two for an even count).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { median } from "./compare_stats.ts";
 * assert.equal(median([3, 1, 2]), 2);
 * assert.equal(median([4, 1, 2, 3]), 2.5);
 * ```
 */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * A run's throughput as a share of the bare responder's, taken as the mean of the runs just
 * before and after it (the machine drifts within one benchmark).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bracketedRatio } from "./compare_stats.ts";
 * assert.equal(bracketedRatio(90, 100, 80), 1);
 * ```
 */
export function bracketedRatio(qps: number, bareBefore: number, bareAfter: number): number {
  return qps / ((bareBefore + bareAfter) / 2);
}

/**
 * How far the bare responder moved across a measured run: the change between the runs just
 * before and after it, relative to their mean. More than {@linkcode STEADY_BRACKET} means the
 * machine changed speed during the run, and the ratio says more about the machine than the code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bracketDrift, STEADY_BRACKET } from "./compare_stats.ts";
 * assert.equal(bracketDrift(100, 100), 0);
 * assert.equal(bracketDrift(90, 110), 0.2); // 20 of a mean of 100
 * assert.ok(bracketDrift(70_000, 66_000) <= STEADY_BRACKET);
 * assert.ok(bracketDrift(70_000, 45_000) > STEADY_BRACKET);
 * ```
 */
export function bracketDrift(bareBefore: number, bareAfter: number): number {
  return Math.abs(bareAfter - bareBefore) / ((bareBefore + bareAfter) / 2);
}

/**
 * The share of a run's time the server spent on a CPU: its CPU time during the run over the run's
 * length. Under a load that saturates it (dnsperf keeps 100 queries in flight), a server pinned to
 * a CPU of its own works nearly all the time: 0.92–1.00 in every run of a calibration on this
 * machine, the runs in its slow spells too (there the CPU runs slower; the process is not kept
 * off it). A share well under that means the server waited for something other than its work, a
 * slowdown the bare runs around it need not show. Unpinned, the server shares its CPU with
 * dnsperf and the share means nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BUSY_FLOOR, busyShare } from "./compare_stats.ts";
 * assert.equal(busyShare(2.94e9, 3), 0.98); // 2.94 s on a CPU in a 3 s run
 * assert.ok(busyShare(2.94e9, 3) >= BUSY_FLOOR);
 * assert.ok(busyShare(1.8e9, 3) < BUSY_FLOOR); // 60%: waiting, not working
 * ```
 */
export function busyShare(cpuNanoseconds: number, runSeconds: number): number {
  return cpuNanoseconds / 1e9 / runSeconds;
}

/** The smallest {@linkcode busyShare} a pinned run is kept with (85%); under it, it is run again. */
export const BUSY_FLOOR = 0.85;

/** The largest {@linkcode bracketDrift} a run is kept with (10%); beyond it, it is run again. */
export const STEADY_BRACKET = 0.1;

/** One figure of both revisions: their rounds' ratios to the bare responder. */
export interface FigureRounds {
  old: number[];
  new: number[];
}

/** What `compareFigure` concludes. */
export interface Comparison {
  oldMedian: number;
  newMedian: number;
  /** newMedian / oldMedian. */
  ratio: number;
  /** The largest range (max − min) of either revision's rounds, relative to its median. */
  spread: number;
  verdict: "no difference" | "faster" | "slower";
}

/**
 * Compares the two revisions of one figure: the medians, their ratio, the spread, and "no
 * difference" when the ranges of the two revisions' rounds overlap (the spread covers the gap).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareFigure } from "./compare_stats.ts";
 * assert.equal(compareFigure({ old: [0.80, 0.82, 0.81], new: [0.81, 0.83, 0.79] }).verdict, "no difference");
 * const faster = compareFigure({ old: [0.75, 0.76, 0.77], new: [0.90, 0.92, 0.91] });
 * assert.equal(faster.verdict, "faster");
 * assert.equal(faster.ratio.toFixed(2), "1.20");
 * assert.equal(compareFigure({ old: [0.9, 0.91, 0.92], new: [0.7, 0.71, 0.72] }).verdict, "slower");
 * ```
 */
export function compareFigure(rounds: FigureRounds): Comparison {
  const oldMedian = median(rounds.old);
  const newMedian = median(rounds.new);
  const range = (values: number[]) => Math.max(...values) - Math.min(...values);
  const spread = Math.max(range(rounds.old) / oldMedian, range(rounds.new) / newMedian);
  const overlap = Math.min(...rounds.new) <= Math.max(...rounds.old) &&
    Math.min(...rounds.old) <= Math.max(...rounds.new);
  return {
    oldMedian,
    newMedian,
    ratio: newMedian / oldMedian,
    spread,
    verdict: overlap ? "no difference" : newMedian > oldMedian ? "faster" : "slower",
  };
}
