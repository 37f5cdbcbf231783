/**
 * What `bench:compare` (compare.ts) keeps of its runs, and the summary it prints from them: per
 * figure, both revisions' medians as shares of the bare responder, their ratio, spread and verdict;
 * CPU time, the collector's time and scavenges per query; and each figure read against its own bare
 * reference. Pure: the lines are returned, not printed.
 *
 * @module
 */

import { compareFigure, type FigureRounds, median } from "./compare_stats.ts";

/** The two revisions: "old" (REV's worktree) and "new" (the working tree). */
export type Side = "old" | "new";

/** A figure as the report names it, and the bare reference it is also read against, if any. */
export interface ReportedFigure {
  name: string;
  /** The reference's name in the report, e.g. "bare Deno forwarder". */
  reference?: string;
}

/** What one run of a bare program (the responder, or a figure's reference) measured. */
export interface BareRun {
  qps: number;
  /** CPU time per answered query, µs. */
  micros: number;
}

/** What one run of a figure on one revision measured. */
export interface FigureRun extends BareRun {
  /** Share of the bare responder (the ratio to the bare runs around the run). */
  ratio: number;
  /** The collector's milliseconds on the JS thread per 1,000 answered queries. */
  gcMs: number;
  /** Scavenges per 1,000 answered queries: what a query allocates, whatever the machine's speed. */
  scavenges: number;
}

/** Everything `bench:compare` measured, by figure name; runs in round order. */
export interface Measurements {
  /** Per figure, each revision's runs. */
  runs: Map<string, Record<Side, FigureRun[]>>;
  /** Per figure read against a reference: that reference's run in each round. */
  referenceRuns: Map<string, BareRun[]>;
  /** Every run of the bare responder. */
  bareRuns: BareRun[];
}

/**
 * Empty measurements for `figures`, to be filled round by round.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptyMeasurements } from "./compare_report.ts";
 * const m = emptyMeasurements([{ name: "internal" }]);
 * m.runs.get("internal")!.new.push({ ratio: 0.95, qps: 60_000, micros: 15, gcMs: 0.3, scavenges: 2 });
 * assert.equal(m.runs.get("internal")!.new.length, 1);
 * assert.equal(m.runs.get("internal")!.old.length, 0);
 * ```
 */
export function emptyMeasurements(figures: ReportedFigure[]): Measurements {
  return {
    runs: new Map(figures.map((f) => [f.name, { old: [], new: [] }])),
    referenceRuns: new Map(figures.map((f) => [f.name, []])),
    bareRuns: [],
  };
}

/** One field of each revision's runs, in round order. */
function field(runs: Record<Side, FigureRun[]>, key: keyof FigureRun): FigureRounds {
  return { old: runs.old.map((r) => r[key]), new: runs.new.map((r) => r[key]) };
}

/**
 * The summary of a comparison, one string per line: the verdict table, CPU time, the collector's
 * time and scavenges per query (old, new, new/old), and each figure that has a reference as a share
 * of that reference in the same round.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptyMeasurements, reportLines } from "./compare_report.ts";
 * const figures = [{ name: "cached", reference: "bare Deno table responder" }];
 * const m = emptyMeasurements(figures);
 * const run = (ratio: number, qps: number, micros: number) => ({ ratio, qps, micros, gcMs: micros, scavenges: micros });
 * m.runs.set("cached", {
 *   old: [run(0.75, 45_000, 2), run(0.76, 46_000, 2), run(0.77, 47_000, 2)],
 *   new: [run(0.82, 50_000, 1), run(0.83, 51_000, 1), run(0.81, 49_000, 1)],
 * });
 * m.referenceRuns.set("cached", [50_000, 50_000, 50_000].map((qps) => ({ qps, micros: 16 })));
 * m.bareRuns.push({ qps: 60_000, micros: 14 }, { qps: 61_000, micros: 14 });
 * const lines = reportLines(figures, m);
 * assert.match(lines.find((l) => l.startsWith("cached "))!, /0\.760 .* 0\.820 .*faster$/);
 * assert.ok(lines.includes(
 *   "cached, as a share of the bare Deno table responder in the same round (median): old 0.920, new 1.000; the reference 50000 q/s, 16.00 µs CPU/query, 0.826 of the bare responder",
 * ));
 * ```
 */
export function reportLines(figures: ReportedFigure[], m: Measurements): string[] {
  const lines = [
    `${"figure (median of rounds)".padEnd(40)} ${"old: of bare".padStart(18)} ${
      "new: of bare".padStart(18)
    }  new/old  spread  verdict`,
  ];
  for (const figure of figures) {
    const runs = m.runs.get(figure.name)!;
    const c = compareFigure(field(runs, "ratio"));
    const q = field(runs, "qps");
    const cell = (ratio: number, values: number[]) =>
      `${ratio.toFixed(3)} (${median(values).toFixed(0).padStart(6)})`.padStart(18);
    lines.push(
      `${figure.name.padEnd(40)} ${cell(c.oldMedian, q.old)} ${cell(c.newMedian, q.new)}  ${
        c.ratio.toFixed(3).padStart(7)
      }  ${`±${(c.spread * 50).toFixed(1)}%`.padStart(6)}  ${c.verdict}`,
    );
  }
  lines.push(
    "",
    "(q/s in parentheses; spread: half the widest range of either side's rounds, relative to its median)",
  );
  const bareCpu = median(m.bareRuns.map((r) => r.micros));
  lines.push(
    "",
    "CPU time per answered query, µs (median of rounds; each process's own time on a CPU, all its threads, which",
    `another process on the machine does not inflate): bare responder ${bareCpu.toFixed(2)}`,
    ...oldNewTable(figures, m, "micros", {
      title: "bare/new",
      cell: (n) => (bareCpu / n).toFixed(3),
    }),
    "",
    "GC on the JS thread per 1,000 answered queries, ms (median of rounds; --trace-gc: pauses and",
    "incremental marking; it follows what a query allocates and keeps, and the machine's speed too)",
    ...oldNewTable(figures, m, "gcMs"),
    "",
    "Scavenges per 1,000 answered queries (median of rounds): they follow what a query allocates",
    ...oldNewTable(figures, m, "scavenges"),
    "",
  );
  for (const figure of figures) {
    if (!figure.reference) continue;
    const runs = m.referenceRuns.get(figure.name)!;
    const shares = (side: Side) =>
      median(m.runs.get(figure.name)![side].map((r, i) => r.qps / runs[i].qps));
    const referenceQps = median(runs.map((r) => r.qps));
    lines.push(
      `${figure.name}, as a share of the ${figure.reference} in the same round (median): old ${
        shares("old").toFixed(3)
      }, new ${shares("new").toFixed(3)}; the reference ${referenceQps.toFixed(0)} q/s, ${
        median(runs.map((r) => r.micros)).toFixed(2)
      } µs CPU/query, ${
        (referenceQps / median(m.bareRuns.map((r) => r.qps))).toFixed(3)
      } of the bare responder`,
    );
  }
  return lines;
}

/** Per figure: both medians of `key`, new/old, and an extra column when `extra` gives one. */
function oldNewTable(
  figures: ReportedFigure[],
  m: Measurements,
  key: keyof FigureRun,
  extra?: { title: string; cell: (newMedian: number) => string },
): string[] {
  const lines = [
    `${"figure".padEnd(40)} ${"old".padStart(7)} ${"new".padStart(7)}  new/old${
      extra ? `  ${extra.title}` : ""
    }`,
  ];
  for (const figure of figures) {
    const v = field(m.runs.get(figure.name)!, key);
    const [o, n] = [median(v.old), median(v.new)];
    lines.push(
      `${figure.name.padEnd(40)} ${o.toFixed(2).padStart(7)} ${n.toFixed(2).padStart(7)}  ${
        (n / o).toFixed(3).padStart(7)
      }${extra ? `  ${extra.cell(n).padStart(extra.title.length)}` : ""}`,
    );
  }
  return lines;
}
