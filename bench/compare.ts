/**
 * Two revisions side by side: a git worktree of REV ("old") and the working tree ("new") run in
 * one benchmark, against the same fake API server and dnsmasq, under the same permission flags,
 * alternately for every figure (old first in odd rounds, new first in even ones), each run
 * preceded by a 1 s warm-up with the same load and followed by a run of the bare Deno UDP
 * responder, so that every figure is a ratio to the bare runs just before and after it. When those
 * two bare runs differ by more than 10% (the machine changed speed across the run), or, pinned,
 * the server was on its CPU for less than 85% of the run (it waited), the run is measured again,
 * at most twice more. It prints, per figure, both revisions' medians (as shares of
 * the bare responder, and in queries per second), their ratio, the spread of the rounds, and "no
 * difference" when the two revisions' rounds overlap. Beside the rates, each server's own CPU
 * time per answered query (/proc/PID/stat, all its threads) and the bare responder's: steadier
 * than a rate when other work on the machine comes and goes. And, per 1,000 queries, the garbage
 * collector's milliseconds on the JS thread and its scavenges (every server runs with `--trace-gc`
 * too, bench/gc_trace.ts). None of these is steady here: two runs with the same code on both sides
 * (`bench:compare HEAD`) gave new/old from 0.78 to 1.12 for CPU and the collector's time, and
 * 0.88 to 1.09 for scavenges.
 *
 * Figures: internal (`db`, an alias of the source's network), suffixed
 * (`db.bench.svc.cluster.local`), a bare single-label name the upstream knows (`ext`, forwarded,
 * then from the cache), cached (1,000 names, warm), uncached (1,000 names, `--cache-size 0`).
 * Two figures are also read against a reference of their own, run with the same load once a round
 * after both revisions: the cached figure against the bare Deno UDP table responder
 * (bench/bare_udp_table.ts, the same 1,000 names from a `Map`, two socket operations per query),
 * the runtime's own ceiling for answering from a cache; the uncached one against the bare Deno UDP
 * forwarder (bench/bare_udp_forwarder.ts, four socket operations per query like any forwarded
 * query), its ceiling for forwarding.
 *
 * Every server (both revisions, the bare responder, table responder and forwarder) runs pinned to
 * the last CPU, all its threads, and dnsperf, dnsmasq and this process to the others
 * (bench/cpu_pinning.ts, `taskset`), unless `--no-pin` is given or the machine has one CPU. The
 * verdicts and ratios are compare_stats.ts's, the summary's lines compare_report.ts's.
 *
 * Usage: deno task bench:compare REV [--rounds N] [--seconds S] [--no-pin]
 *
 * @module
 */

import { commandOutput } from "../src/testing/command.ts";
import {
  bracketDrift,
  bracketedRatio,
  BUSY_FLOOR,
  busyShare,
  STEADY_BRACKET,
} from "./compare_stats.ts";
import { emptyMeasurements, reportLines, type Side } from "./compare_report.ts";
import type { MainProcess } from "../src/testing/main_process.ts";
import { cpuPlan, pinProcess } from "./cpu_pinning.ts";
import { gcWork } from "./gc_trace.ts";
import {
  type BenchSetup,
  cpuNanoseconds,
  DISTINCT_NAMES,
  dnsperf,
  type ReferenceProcess,
  startBareForwarder,
  startBareResponder,
  startBareTable,
  startBench,
} from "./harness.ts";

function flag(name: string, fallback: number, max: number, min = 1): number {
  const at = Deno.args.indexOf(name);
  const value = at >= 0 ? Number(Deno.args[at + 1]) : fallback;
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new Error(`${name} takes a whole number from ${min} to ${max}`);
  }
  return value;
}

const rev = Deno.args[0];
if (!rev || rev.startsWith("--")) {
  console.error("usage: deno task bench:compare REV [--rounds N] [--seconds S] [--no-pin]");
  Deno.exit(2);
}
const rounds = flag("--rounds", 3, 20, 3);
const seconds = flag("--seconds", 3, 60);
/** How many times one run is measured again (the machine changed speed, or the server waited). */
const MAX_REMEASURES = 2;
const pinning = Deno.args.includes("--no-pin") ? undefined : cpuPlan(navigator.hardwareConcurrency);

async function git(...args: string[]): Promise<string> {
  return (await commandOutput("git", args)).trim();
}

const oldCommit = await git("rev-parse", "--verify", `${rev}^{commit}`);
const headCommit = await git("rev-parse", "HEAD");
const dirty = (await git("status", "--porcelain", "--untracked-files=no")) !== "";
const worktree = await Deno.makeTempDir({ prefix: "kubedock-dns-compare-" });
await git("worktree", "add", "--detach", "--force", worktree, oldCommit);

/** Flags the old revision is started with beyond the harness's: `--lameduck 0s` if it has it. */
async function oldRevisionFlags(): Promise<string[]> {
  const args = ["run", "--no-prompt", "--config", `${worktree}/deno.json`, `${worktree}/main.ts`];
  const help = await commandOutput("deno", [...args, "--help"]);
  return help.includes("--lameduck") ? ["--lameduck", "0s"] : [];
}

/**
 * Old first in odd rounds, new first in even ones (ABBA): the one that runs second after the
 * other's load has a small edge here (with the same code on both sides and pinned CPUs, the second
 * was ahead in 12 of 15 pairs), and taking turns puts it on both sides.
 */
const sidesInRound = (round: number): Side[] => round % 2 === 1 ? ["old", "new"] : ["new", "old"];
/** The bare references a figure may also be read against (bench/bare_udp_*.ts). */
type Reference = "table" | "forwarder";
const REFERENCE_NAMES: Record<Reference, string> = {
  table: "bare Deno table responder",
  forwarder: "bare Deno forwarder",
};
interface Figure {
  name: string;
  query: string | string[];
  cache: boolean;
  /** Run once a round after both revisions, with the same load. */
  reference?: Reference;
}
const distinct = DISTINCT_NAMES.map((name) => `${name} A`);
const figures: Figure[] = [
  { name: "internal (db)", query: "db A", cache: true },
  {
    name: "suffixed (db.bench.svc.cluster.local)",
    query: "db.bench.svc.cluster.local A",
    cache: true,
  },
  { name: "bare single-label, upstream's (ext)", query: "ext A", cache: true },
  { name: "cached, 1,000 names", query: distinct, cache: true, reference: "table" },
  { name: "uncached, 1,000 names", query: distinct, cache: false, reference: "forwarder" },
];

let setup: BenchSetup | undefined;
/** Started one by one, so that a failed start still stops the ones before it. */
const references: Partial<Record<Reference, ReferenceProcess>> = {};
const bare = await startBareResponder();
try {
  const traceGc = ["--v8-flags=--trace-gc"]; // beside the production V8 flags, both sides
  setup = await startBench([], traceGc);
  references.table = await startBareTable(DISTINCT_NAMES);
  references.forwarder = await startBareForwarder(setup.dnsmasq.address.port);
  const oldFlags = await oldRevisionFlags();
  const processes = {
    new: {
      true: setup.main,
      false: await setup.startAnother(["--cache-size", "0"], traceGc),
    },
    old: {
      true: await setup.startAnother([...oldFlags], traceGc, worktree),
      false: await setup.startAnother([...oldFlags, "--cache-size", "0"], traceGc, worktree),
    },
  };
  if (pinning) {
    const revisions = Object.values(processes).flatMap((side) => Object.values(side));
    const bareOnes = [bare, ...Object.values(references)];
    for (const pid of [...bareOnes.map((p) => p.pid), ...revisions.map((p) => p.child.pid)]) {
      await pinProcess(pid, pinning.servers);
    }
    for (const pid of [setup.dnsmasq.pid, Deno.pid]) await pinProcess(pid, pinning.load);
  }
  const run = (server: { hostname: string; port: number }, query: string | string[], s = seconds) =>
    dnsperf({ server, source: setup!.podIp, query, seconds: s, cpus: pinning?.load });
  /**
   * A run, the CPU time per answered query (µs) of the process `pid` serving it, and the share of
   * the run it spent on a CPU (`busyShare`).
   */
  const measure = async (
    server: { hostname: string; port: number },
    pid: number,
    query: string | string[],
  ) => {
    const before = await cpuNanoseconds(pid);
    const result = await run(server, query);
    const cpu = await cpuNanoseconds(pid) - before;
    const busy = busyShare(cpu, result.runSeconds);
    return { ...result, micros: cpu / 1000 / result.completed, busy };
  };
  await run(bare.address, "db A", 1); // the responder's JIT warmed up too
  const first = await measure(bare.address, bare.pid, "db A");
  let bareBefore = first.qps;
  const reported = figures.map(({ name, reference }) => ({
    name,
    reference: reference && REFERENCE_NAMES[reference],
  }));
  const m = emptyMeasurements(reported);
  m.bareRuns.push(first);
  /** Re-measurements: the machine changed speed across a run, or the server waited during it. */
  let remeasured = 0;
  /**
   * A warmed-up run of `figure` on `process` and the bare run after it, as a ratio to the bare
   * runs around it; run again (at most {@linkcode MAX_REMEASURES} times more) while those two bare
   * runs differ by more than {@linkcode STEADY_BRACKET}, or, pinned, while the server was on its
   * CPU for less than {@linkcode BUSY_FLOOR} of the run (it waited: a slowdown the bare runs around
   * it need not show). Moves `bareBefore` on to the last bare run.
   */
  const measureBracketed = async (process: MainProcess, figure: Figure, label: string) => {
    for (let attempt = 0;; attempt++) {
      await run(process.dns, figure.query, 1);
      const traced = process.logs().length;
      const measured = await measure(process.dns, process.child.pid, figure.query);
      await new Promise((r) => setTimeout(r, 50)); // the run's last trace lines through the pipe
      const gc = gcWork(process.logs().slice(traced));
      const after = await measure(bare.address, bare.pid, "db A");
      m.bareRuns.push(after);
      const ratio = bracketedRatio(measured.qps, bareBefore, after.qps);
      const drift = bracketDrift(bareBefore, after.qps);
      const before = bareBefore;
      bareBefore = after.qps;
      const waited = pinning !== undefined && measured.busy < BUSY_FLOOR;
      const steady = drift <= STEADY_BRACKET && !waited;
      if (steady || attempt === MAX_REMEASURES) return { measured, gc, ratio };
      remeasured++;
      const why = waited
        ? `the server was on its CPU for ${(measured.busy * 100).toFixed(0)}% of the run`
        : `the bare responder went from ${before.toFixed(0)} to ${
          after.qps.toFixed(0)
        } q/s across the run (${(drift * 100).toFixed(0)}%)`;
      console.log(`  ${label} ${figure.name}: ${why}: measured again`);
    }
  };
  console.log(
    `bench:compare ${rounds} rounds, ${seconds} s per run (+1 s warm-up), old and new taking turns to go first, each run between two bare runs, ${
      pinning
        ? `servers on CPU ${pinning.servers}, dnsperf and dnsmasq on CPU ${pinning.load}`
        : "not pinned to CPUs"
    }`,
  );
  for (let round = 1; round <= rounds; round++) {
    for (const figure of figures) {
      for (const side of sidesInRound(round)) {
        const process = processes[side][`${figure.cache}`];
        const { measured, gc, ratio } = await measureBracketed(
          process,
          figure,
          `round ${round} ${side}`,
        );
        const gcPerThousand = (gc.ms / measured.completed) * 1000;
        m.runs.get(figure.name)![side].push({
          ratio,
          qps: measured.qps,
          micros: measured.micros,
          gcMs: gcPerThousand,
          scavenges: (gc.scavenges / measured.completed) * 1000,
        });
        console.log(
          `  round ${round} ${side} ${figure.name.padEnd(40)} ${
            measured.qps.toFixed(0).padStart(6)
          } q/s  ${ratio.toFixed(3)} of bare  ${measured.micros.toFixed(2)} µs CPU/query  ${
            gcPerThousand.toFixed(2)
          } ms GC/1,000${pinning ? `  busy ${measured.busy.toFixed(2)}` : ""}${
            measured.lost ? `  lost ${measured.lost}` : ""
          }`,
        );
      }
      if (figure.reference) {
        const reference = references[figure.reference]!;
        await run(reference.address, figure.query, 1);
        const measured = await measure(reference.address, reference.pid, figure.query);
        m.referenceRuns.get(figure.name)!.push(measured);
        console.log(
          `  round ${round} ${`${REFERENCE_NAMES[figure.reference]}, same load`.padEnd(44)} ${
            measured.qps.toFixed(0).padStart(6)
          } q/s  ${measured.micros.toFixed(2)} µs CPU/query`,
        );
      }
    }
  }
  const bareQps = m.bareRuns.map((r) => r.qps);
  const describe = (side: string, commit: string) => `${side} = ${commit.slice(0, 10)}`;
  console.log(
    `\n${describe("old", oldCommit)} (${rev}), ${describe("new", headCommit)}${
      dirty ? " + uncommitted changes" : ""
    } (the working tree)`,
  );
  console.log(
    `bare Deno responder: ${Math.min(...bareQps).toFixed(0)}–${
      Math.max(...bareQps).toFixed(0)
    } q/s over ${bareQps.length} runs; ${remeasured} re-measurement(s) where it moved more than ${
      STEADY_BRACKET * 100
    }% across a run${
      pinning ? ` or the server was on its CPU for less than ${BUSY_FLOOR * 100}% of it` : ""
    } (at most ${MAX_REMEASURES} per run)\n`,
  );
  for (const line of reportLines(reported, m)) console.log(line);
} finally {
  for (const reference of Object.values(references)) await reference.stop();
  await setup?.stop();
  await bare.stop();
  await git("worktree", "remove", "--force", worktree).catch(async () => {
    await Deno.remove(worktree, { recursive: true }).catch(() => {});
    await git("worktree", "prune");
  });
}
