/**
 * Where a query's CPU time goes in the whole process, not only its JS: each DNS path and its bare
 * reference under Linux perf (`perf record -e cpu-clock -g` on the process, every thread), the
 * samples sorted by kind of work (bench/perf_samples.ts) and given in µs of CPU per answered
 * query. Rows: the bare Deno responder and the internal and cached paths (two socket operations
 * per query); the bare Deno forwarder and the uncached path (four). What `--cpu-prof`
 * (`bench:profile`) cannot show: the kernel's side of each socket call, page faults, and V8's
 * worker threads, where most of the garbage collector's work runs.
 *
 * Each process runs with `--perf-basic-prof` (V8 names its compiled code in /tmp/perf-PID.map,
 * removed at the end). Under perf every figure is higher
 * than without it (its sampling costs the process too): compare rows, not absolute values.
 * Needs `perf` (Debian: linux-perf) and root, or a perf_event_paranoid that allows it.
 *
 * Usage: deno task bench:perf [--seconds N]
 *
 * @module
 */

import { commandOutput } from "../src/testing/command.ts";
import {
  DISTINCT_NAMES,
  dnsperf,
  type ReferenceProcess,
  startBareForwarder,
  startBareResponder,
  startBench,
} from "./harness.ts";
import { countPerfSamples, PERF_KINDS, type PerfKind } from "./perf_samples.ts";

const secondsArg = Deno.args.indexOf("--seconds");
const seconds = secondsArg >= 0 ? Number(Deno.args[secondsArg + 1]) : 4;
if (!(Number.isInteger(seconds) && seconds >= 1 && seconds <= 30)) {
  throw new Error("--seconds takes a whole number from 1 to 30");
}
/** Samples per second of CPU time: each sample stands for 1/FREQUENCY s of one thread's time. */
const FREQUENCY = 999;
/** V8 names its compiled code in /tmp/perf-PID.map; the log the flag turns on goes to a temp file. */
const PERF_MAP_FLAG = "--v8-flags=--perf-basic-prof,--no-logfile-per-isolate,--logfile=+";

interface Target {
  name: string;
  address: { hostname: string; port: number };
  pid: number;
  query: string | string[];
}

interface Profiled {
  qps: number;
  /** µs of CPU per answered query, by kind. */
  micros: Map<PerfKind, number>;
}

const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-perf-" });
const distinct = DISTINCT_NAMES.map((name) => `${name} A`);
const setup = await startBench();
/** The bare references, stopped at the end (the servers stop with the setup). */
const references: ReferenceProcess[] = [];
/** Processes whose /tmp/perf-PID.map V8 writes, removed at the end. */
const mapped = new Set<number>();

/** kubedock-dns answers `db` only to a kubedock pod: every query comes from one's address. */
async function profile(target: Target): Promise<Profiled> {
  const { address: server, query } = target;
  const source = setup.podIp;
  await dnsperf({ server, source, query, seconds: 1 }); // warm: JIT, cache, sockets
  const load = dnsperf({ server, source, query, seconds: seconds + 2 });
  await new Promise((r) => setTimeout(r, 1000));
  const file = `${dir}/${target.pid}.data`;
  await commandOutput("perf", [
    ...["record", "-e", "cpu-clock", "-F", String(FREQUENCY), "-g", "-p", String(target.pid)],
    ...["-o", file, "--", "sleep", String(seconds)],
  ]);
  const { qps } = await load;
  const text = await commandOutput("perf", ["script", "-F", "comm,tid,ip,sym,dso", "-i", file]);
  const queries = qps * seconds;
  const micros = new Map<PerfKind, number>();
  for (const [kind, samples] of countPerfSamples(text)) {
    micros.set(kind, (samples * 1e6) / FREQUENCY / queries);
  }
  return { qps, micros };
}

try {
  const bare = await startBareResponder([PERF_MAP_FLAG]);
  references.push(bare);
  const forwarder = await startBareForwarder(setup.dnsmasq.address.port, [PERF_MAP_FLAG]);
  references.push(forwarder);
  const cached = await setup.startAnother([], [PERF_MAP_FLAG]);
  const uncached = await setup.startAnother(["--cache-size", "0"], [PERF_MAP_FLAG]);
  const targets: Target[] = [
    { name: "responder", ...bare, query: "db A" },
    { name: "internal", address: cached.dns, pid: cached.child.pid, query: "db A" },
    { name: "cached", address: cached.dns, pid: cached.child.pid, query: distinct },
    { name: "forwarder", ...forwarder, query: distinct },
    { name: "uncached", address: uncached.dns, pid: uncached.child.pid, query: distinct },
  ];
  for (const target of targets) mapped.add(target.pid);
  const rows: [string, Profiled][] = [];
  for (const target of targets) rows.push([target.name, await profile(target)]);
  console.log(
    `bench:perf: µs of CPU per answered query, by kind of work, under perf (${seconds} s each)\n`,
  );
  console.log(
    "responder, forwarder: the bare Deno references; internal: db; cached and uncached: 1,000 names\n",
  );
  const width = 11;
  const label = 42;
  console.log(`${"".padEnd(label)}${rows.map(([name]) => name.padStart(width)).join("")}`);
  for (const kind of PERF_KINDS) {
    const cells = rows.map(([, p]) => (p.micros.get(kind) ?? 0).toFixed(2).padStart(width));
    console.log(`${kind.padEnd(label)}${cells.join("")}`);
  }
  const total = (p: Profiled) => [...p.micros.values()].reduce((a, b) => a + b, 0);
  console.log(
    `${"total".padEnd(label)}${rows.map(([, p]) => total(p).toFixed(2).padStart(width)).join("")}`,
  );
  console.log(
    `${"queries/s under perf".padEnd(label)}${
      rows.map(([, p]) => p.qps.toFixed(0).padStart(width)).join("")
    }`,
  );
} finally {
  for (const reference of references) await reference.stop();
  await setup.stop();
  for (const pid of mapped) await Deno.remove(`/tmp/perf-${pid}.map`).catch(() => {});
  await Deno.remove(dir, { recursive: true });
}
