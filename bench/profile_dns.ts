/**
 * Where the time per query goes: kubedock-dns under `deno run --cpu-prof` while dnsperf loads one
 * path at a time (internal answers; forwarded with the cache off, 1,000 names; forwarded from
 * the cache), then the V8 profile summed by function (self time) and by kind of work.
 *
 * Usage: deno task bench:profile [--seconds N]
 *
 * @module
 */

import { DISTINCT_NAMES, dnsperf, startBench } from "./harness.ts";

const secondsArg = Deno.args.indexOf("--seconds");
const seconds = secondsArg >= 0 ? Number(Deno.args[secondsArg + 1]) : 5;
if (!(seconds > 0 && seconds <= 60)) throw new Error("--seconds takes 1 to 60");

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self samples per function of a `.cpuprofile`, largest first, as shares of all samples. */
function summarize(profile: { nodes: ProfileNode[] }): [string, number][] {
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*\/(src|main\.ts|ext:)/, "$1").replace(/^file:\/\//, "");
    const where = url ? ` ${file}:${lineNumber + 1}` : "";
    const key = `${functionName || "(anonymous)"}${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
  }
  return [...byFunction].map(([k, v]) => [k, v / total] as [string, number])
    .sort((a, b) => b[1] - a[1]);
}

/** Shares by kind: our code (src/, main.ts), Deno's ops and runtime JS, V8/GC/idle, the rest. */
function kinds(rows: [string, number][]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, share] of rows) {
    const kind = / (src|main\.ts)/.test(name)
      ? "kubedock-dns code"
      : /^op_net_(send|recv)_udp/.test(name)
      ? "Deno's UDP send/receive ops (the syscalls and their bindings)"
      : /^op_/.test(name)
      ? "other Deno ops (clock, timers)"
      : / ext:/.test(name)
      ? "Deno runtime JS (ops, promises, sockets)"
      : /^\((garbage collector)\)/.test(name)
      ? "garbage collector"
      : /^\((idle)\)/.test(name)
      ? "idle"
      : /^\((program)\)/.test(name)
      ? "(program): native, outside JS"
      : "other JS (npm packages, builtins)";
    out[kind] = (out[kind] ?? 0) + share;
  }
  return out;
}

const setup = await startBench();
const distinct = DISTINCT_NAMES.map((name) => `${name} A`);
const cases: { name: string; args: string[]; query: string | string[]; warm?: boolean }[] = [
  { name: "internal (db A from a pod)", args: [], query: "db A" },
  { name: "forwarded, cache off, 1,000 names", args: ["--cache-size", "0"], query: distinct },
  { name: "forwarded from the cache, 1,000 names", args: [], query: distinct, warm: true },
];
try {
  for (const c of cases) {
    const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-prof-" });
    const main = await setup.startAnother(c.args, ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
    if (c.warm) {
      await dnsperf({ server: main.dns, source: setup.podIp, query: c.query, seconds: 1 });
    }
    const result = await dnsperf({
      server: main.dns,
      source: setup.podIp,
      query: c.query,
      seconds,
    });
    await main.stop();
    const [file] = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".cpuprofile"));
    const rows = summarize(JSON.parse(await Deno.readTextFile(`${dir}/${file.name}`)));
    await Deno.remove(dir, { recursive: true });
    console.log(`\n## ${c.name}: ${result.qps.toFixed(0)} queries/s under the profiler`);
    for (const [kind, share] of Object.entries(kinds(rows)).sort((a, b) => b[1] - a[1])) {
      console.log(`  ${(share * 100).toFixed(1).padStart(5)}%  ${kind}`);
    }
    console.log("  top functions by self time:");
    for (const [name, share] of rows.slice(0, 18)) {
      console.log(`  ${(share * 100).toFixed(1).padStart(5)}%  ${name}`);
    }
  }
} finally {
  await setup.stop();
}
