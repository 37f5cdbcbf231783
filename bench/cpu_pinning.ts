/**
 * CPU pinning for the benchmarks: the server under test on one CPU, the load (dnsperf), the
 * upstream (dnsmasq) and the benchmark's own process on the others, so that the scheduler cannot
 * put dnsperf on the server's CPU for part of a run and not for another. On this 2-core VM the
 * bare responder alone ranged 44–74k queries/s within one unpinned run and 68–78k pinned.
 *
 * @module
 */

import { commandOutput } from "../src/testing/command.ts";

/** Which CPUs (a `taskset -c` list) the servers and the rest of a benchmark run on. */
export interface CpuPlan {
  /** The server under test, every thread: one CPU. */
  servers: string;
  /** dnsperf, dnsmasq and the benchmark process: all the other CPUs. */
  load: string;
}

/**
 * The plan for a machine with `cpuCount` CPUs: the last CPU for the servers, the rest for the
 * load; none (undefined) with fewer than two CPUs, where pinning could only hurt.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cpuPlan } from "./cpu_pinning.ts";
 * assert.deepEqual(cpuPlan(2), { servers: "1", load: "0" });
 * assert.deepEqual(cpuPlan(8), { servers: "7", load: "0-6" });
 * assert.equal(cpuPlan(1), undefined);
 * ```
 */
export function cpuPlan(cpuCount: number): CpuPlan | undefined {
  if (!(Number.isInteger(cpuCount) && cpuCount >= 2)) return undefined;
  const last = cpuCount - 1;
  return { servers: String(last), load: last === 1 ? "0" : `0-${last - 1}` };
}

/**
 * Pins process `pid`, all its threads (`taskset -a`), to `cpus`; threads it starts later inherit
 * it. Throws with taskset's message when it fails (`commandOutput`), and says so when taskset
 * is not installed.
 *
 * @example
 * ```ts ignore
 * import { pinProcess } from "./cpu_pinning.ts";
 * await pinProcess(Deno.pid, "0"); // needs --allow-run=taskset
 * ```
 */
export async function pinProcess(pid: number, cpus: string): Promise<void> {
  await commandOutput("taskset", ["-a", "-p", "-c", cpus, String(pid)]).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error("taskset not found (Debian: util-linux); --no-pin runs without pinning");
  });
}

/**
 * The command that runs `program` with `args` on `cpus` (`taskset -c`), or as it is when `cpus`
 * is undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { onCpus } from "./cpu_pinning.ts";
 * assert.deepEqual(onCpus("dnsperf", ["-l", "3"], "0"), {
 *   program: "taskset",
 *   args: ["-c", "0", "dnsperf", "-l", "3"],
 * });
 * assert.deepEqual(onCpus("dnsperf", ["-l", "3"]), { program: "dnsperf", args: ["-l", "3"] });
 * ```
 */
export function onCpus(
  program: string,
  args: string[],
  cpus?: string,
): { program: string; args: string[] } {
  return cpus === undefined
    ? { program, args }
    : { program: "taskset", args: ["-c", cpus, program, ...args] };
}
