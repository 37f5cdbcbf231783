/**
 * The garbage collector's work on the JS thread, read from V8's `--trace-gc` lines: how many
 * scavenges (young generation) and mark-compacts (the whole heap), and the milliseconds the
 * thread spent in them (each pause, plus the incremental marking steps a mark-compact reports).
 * Counted per query it is steadier than a rate or a CPU time on a noisy machine: it follows what a
 * query allocates and keeps, not what else the machine runs.
 *
 * @module
 */

/** What the lines of one stretch of `--trace-gc` output add up to. */
export interface GcWork {
  scavenges: number;
  markCompacts: number;
  /** Milliseconds on the JS thread: pauses and incremental marking steps. */
  ms: number;
}

const LINE =
  /ms: (Scavenge|Minor Mark-Sweep|(?:Incremental )?Mark-Compact)[^,]*, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ [\d.]+ ms(?: \(\+ ([\d.]+) ms in)?/;

/**
 * Sums the `--trace-gc` lines in `text` (other lines are skipped).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gcWork } from "./gc_trace.ts";
 * const text = [
 *   "[7:0x5]    44773 ms: Scavenge 15.7 (17.2) -> 14.9 (17.2) MB, pooled: 0.0 MB, 0.23 / 0.00 ms (average mu = 0.998) allocation failure;",
 *   "a log line of the program",
 *   "[7:0x5]    45530 ms: Incremental Mark-Compact (reduce) 15.2 (17.8) -> 8.1 (11.5) MB, pooled: 0.0 MB, 7.84 / 0.00 ms (+ 5.7 ms in 99 steps since start of marking)",
 * ].join("\n");
 * const work = gcWork(text);
 * assert.deepEqual([work.scavenges, work.markCompacts], [1, 1]);
 * assert.equal(work.ms.toFixed(2), "13.77");
 * ```
 */
export function gcWork(text: string): GcWork {
  const work: GcWork = { scavenges: 0, markCompacts: 0, ms: 0 };
  for (const line of text.split("\n")) {
    const match = LINE.exec(line);
    if (!match) continue;
    if (match[1].includes("Mark-Compact")) work.markCompacts++;
    else work.scavenges++;
    work.ms += Number(match[2]) + Number(match[3] ?? 0);
  }
  return work;
}
