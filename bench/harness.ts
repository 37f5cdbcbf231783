/**
 * Shared pieces of the benchmark scripts: a fake API seeded with pods, kubedock-dns started as
 * a subprocess against it, dnsmasq, and dnsperf runs parsed into numbers.
 *
 * @module
 */

import { FakeApiServer } from "../src/fake/api_server.ts";
import { commandOutput } from "../src/testing/command.ts";
import { kubedockPod } from "../src/testing/mod.ts";
import { type Dnsmasq, freePort, startDnsmasq } from "../src/testing/dnsmasq.ts";
import { onCpus } from "./cpu_pinning.ts";
import {
  dnsOnlyArgs,
  mainPermissions,
  type MainProcess,
  startMain,
} from "../src/testing/main_process.ts";

/** 1,000 names dnsmasq answers, so a forwarding run can ask each rarely (no sharing in flight). */
export const DISTINCT_NAMES = Array.from({ length: 1_000 }, (_, i) => `f${i}.bench.test`);

/** What one dnsperf run measured. */
export interface PerfResult {
  qps: number;
  lost: number;
  completed: number;
  /** How long dnsperf sent queries, s ("Run time"). */
  runSeconds: number;
  /** Latencies in ms, sorted, when run verbose. */
  latenciesMs: number[];
}

/** Runs dnsperf once. */
export async function dnsperf(options: {
  server: { hostname: string; port: number };
  source?: string;
  /** One query line (`name TYPE`), or several that dnsperf cycles through. */
  query: string | string[];
  seconds: number;
  maxQps?: number;
  verbose?: boolean;
  /** CPUs to run dnsperf on (a `taskset -c` list, bench/cpu_pinning.ts); any when unset. */
  cpus?: string;
}): Promise<PerfResult> {
  const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-bench-" });
  await Deno.writeTextFile(`${dir}/queries`, `${[options.query].flat().join("\n")}\n`);
  const args = [
    "-s",
    options.server.hostname,
    "-p",
    String(options.server.port),
    "-d",
    `${dir}/queries`,
    "-l",
    String(options.seconds),
    "-t",
    "2",
    ...(options.source ? ["-a", options.source] : []),
    ...(options.maxQps ? ["-Q", String(options.maxQps)] : []),
    ...(options.verbose ? ["-v"] : []),
  ];
  const command = onCpus("dnsperf", args, options.cpus);
  const { stdout } = await new Deno.Command(command.program, {
    args: command.args,
    stdout: "piped",
    stderr: "null",
  }).output();
  await Deno.remove(dir, { recursive: true });
  const text = new TextDecoder().decode(stdout);
  const number = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
  const latenciesMs = options.verbose
    ? text.split("\n").filter((l) => l.startsWith("> ")).map((l) =>
      Number(l.split(" ").at(-1)) * 1000
    )
      .sort((a, b) => a - b)
    : [];
  return {
    qps: number(/Queries per second:\s+([\d.]+)/),
    completed: number(/Queries completed:\s+(\d+)/),
    lost: number(/Queries lost:\s+(\d+)/),
    runSeconds: number(/Run time \(s\):\s+([\d.]+)/),
    latenciesMs,
  };
}

/** The `p`-th percentile (0–100) of sorted numbers. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A complete bench setup: dnsmasq, the fake API with pods, kubedock-dns. */
export interface BenchSetup {
  dnsmasq: Dnsmasq;
  fake: FakeApiServer;
  main: MainProcess;
  /** IP of a pod in network n1, to send internal queries from. */
  podIp: string;
  /**
   * Starts one more kubedock-dns against the same API server and upstream (stopped by `stop`);
   * `denoFlags` go to `deno run` (e.g. `--cpu-prof`); `root` runs another checkout's main.ts
   * (`bench:compare`).
   */
  startAnother(extraArgs: string[], denoFlags?: string[], root?: string): Promise<MainProcess>;
  /** Stops everything. */
  stop(): Promise<void>;
}

/** Starts the bench setup; `extraArgs` go to kubedock-dns, `denoFlags` to its `deno run`. */
export async function startBench(
  extraArgs: string[] = [],
  denoFlags: string[] = [],
): Promise<BenchSetup> {
  const dnsmasq = await startDnsmasq({
    db: ["127.0.0.2"],
    "ext.bench.test": ["192.0.2.7"],
    ext: ["192.0.2.9"], // a single-label name only the upstream knows
    ...Object.fromEntries(DISTINCT_NAMES.map((name) => [name, ["192.0.2.8"]])),
  }, { localTtl: 300 }); // kept by kubedock-dns's cache (a TTL 0 reply never is)
  const fake = FakeApiServer.start({ namespace: "bench", autoReady: true, kubeletDelayMs: 0 });
  await fake.createPod(kubedockPod("db1", ["db"], ["n1"]));
  await fake.createPod(kubedockPod("app1", ["app"], ["n1"]));
  const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-bench-" });
  await Deno.writeTextFile(`${dir}/kubeconfig`, fake.kubeconfig());
  const others: MainProcess[] = [];
  const start = async (args: string[], denoFlags: string[] = [], root?: string) => {
    const process = await startMain(
      [
        ...dnsOnlyArgs(`${dir}/kubeconfig`, dnsmasq.address.port),
        "--log-level",
        "warning",
        ...args,
      ],
      mainPermissions(`${dir}/kubeconfig`).then((flags) => [...denoFlags, ...flags]),
      undefined,
      {},
      root,
    );
    await process.waitReady();
    return process;
  };
  const main = await start(extraArgs, denoFlags);
  const podIp = fake.podIp("app1", "bench")!;
  return {
    dnsmasq,
    fake,
    main,
    podIp,
    async startAnother(args, denoFlags, root) {
      const other = await start(args, denoFlags, root);
      others.push(other);
      return other;
    },
    async stop() {
      for (const other of others) await other.stop();
      await main.stop();
      await fake.stop();
      await dnsmasq.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A reference process of the benchmarks, listening on a loopback UDP port. */
export interface ReferenceProcess {
  address: { hostname: string; port: number };
  /** Its process id (for its CPU time, /proc/PID/schedstat). */
  pid: number;
  stop(): Promise<void>;
}

async function startReference(
  script: string,
  net: string,
  args: string[],
  denoFlags: string[],
): Promise<ReferenceProcess> {
  const port = freePort();
  const child = new Deno.Command("deno", {
    args: [
      "run",
      `--allow-net=${net}`,
      ...denoFlags,
      new URL(script, import.meta.url).pathname,
      String(port),
      ...args,
    ],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  await new Promise((r) => setTimeout(r, 1000));
  return {
    address: { hostname: "127.0.0.1", port },
    pid: child.pid,
    async stop() {
      try {
        child.kill();
      } catch { /* ended */ }
      await child.status;
    },
  };
}

/**
 * The bare Deno UDP responder (bench/bare_udp_responder.ts): the runtime's own ceiling
 * (`denoFlags` such as `--v8-flags=...` are for profiling it).
 */
export function startBareResponder(denoFlags: string[] = []): Promise<ReferenceProcess> {
  return startReference("./bare_udp_responder.ts", "127.0.0.0/8", [], denoFlags);
}

/**
 * The bare Deno UDP forwarder (bench/bare_udp_forwarder.ts) towards `upstreamPort` on loopback:
 * the runtime's ceiling for a query forwarded (four socket operations instead of two).
 */
export function startBareForwarder(
  upstreamPort: number,
  denoFlags: string[] = [],
): Promise<ReferenceProcess> {
  // the server's own net permission list (its upstream sockets bind 0.0.0.0 as the server's do)
  const net = "127.0.0.0/8,0.0.0.0";
  return startReference("./bare_udp_forwarder.ts", net, [String(upstreamPort)], denoFlags);
}

/**
 * The bare Deno UDP table responder (bench/bare_udp_table.ts) for `names`: the runtime's ceiling
 * for answering from a cache of that many names (two socket operations and one lookup a query).
 */
export function startBareTable(
  names: string[],
  denoFlags: string[] = [],
): Promise<ReferenceProcess> {
  return startReference("./bare_udp_table.ts", "127.0.0.0/8", names, denoFlags);
}

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * Nanoseconds process `pid` has spent on a CPU, all its threads together (V8's garbage collector
 * works on threads of its own): /proc/PID/stat's user and system time, in 10 ms ticks, read with
 * `cat` (Deno asks for --allow-all to read /proc/PID itself). Unlike a rate, it does not count the
 * time another process on the machine took from it.
 */
export async function cpuNanoseconds(pid: number): Promise<number> {
  return processCpuNanoseconds(await commandOutput("cat", [`/proc/${pid}/stat`]));
}

/**
 * The user and system time in a /proc/PID/stat line, in nanoseconds. The command name (field 2)
 * is in parentheses and may hold spaces, so fields are counted from its closing parenthesis.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { processCpuNanoseconds } from "./harness.ts";
 * const stat = "4180 (deno x) S 4155 4180 1 0 -1 4194560 9 0 0 0 250 31 0 0 20 0 6 0 10 1 1 18";
 * assert.equal(processCpuNanoseconds(stat), 2_810_000_000); // (250 + 31) ticks of 10 ms
 * ```
 */
export function processCpuNanoseconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is the state (field 3); utime and stime are fields 14 and 15
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e9) / TICKS_PER_SECOND;
}
