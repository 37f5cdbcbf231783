/**
 * DNS throughput and latency, all in one run on this machine, as ratios to (d) the bare Deno UDP
 * responder (the most this runtime's datagram socket gives here): dnsperf against kubedock-dns
 * for (a) internal answers (sent from a pod IP), (b) forwarded answers with the cache off (one
 * name; b': 1,000 distinct names, so nothing is shared in flight), (e) forwarded answers from the
 * cache, and (c) dnsmasq serving the same names directly, each between two runs of (d) and given
 * as a ratio to their mean; then p50/p99 at a fixed 10,000 queries per second for each.
 *
 * Usage: deno task bench:dns [--seconds N]
 *
 * @module
 */

import {
  DISTINCT_NAMES,
  dnsperf,
  percentile,
  type PerfResult,
  startBareResponder,
  startBench,
} from "./harness.ts";

const secondsArg = Deno.args.indexOf("--seconds");
const seconds = secondsArg >= 0 ? Number(Deno.args[secondsArg + 1]) : 4;
if (!(seconds > 0 && seconds <= 60)) throw new Error("--seconds takes 1 to 60");

const setup = await startBench();
const bare = await startBareResponder();
try {
  const kd = setup.main.dns;
  const noCache = (await setup.startAnother(["--cache-size", "0"])).dns;
  const dm = setup.dnsmasq.address;
  const ceilingAddress = bare.address;
  const run = (server: typeof kd, query: string | string[], extra = {}) =>
    dnsperf({ server, source: setup.podIp, query, seconds, ...extra });
  const distinct = DISTINCT_NAMES.map((name) => `${name} A`);

  await run(ceilingAddress, "db A", { seconds: 1 }); // the responder's JIT warmed up too
  // Each figure sits between two runs of (d), and its ratio is to their mean: the machine drifts
  // by 10-20% within one benchmark, so a single (d) at the start would misstate later figures.
  const ceilings: PerfResult[] = [await run(ceilingAddress, "db A")];
  const bracketed = async (server: typeof kd, query: string | string[]) => {
    await run(server, query, { seconds: 1 }); // warm with this very load, right before it
    const result = await run(server, query);
    ceilings.push(await run(ceilingAddress, "db A"));
    const around = (ceilings.at(-2)!.qps + ceilings.at(-1)!.qps) / 2;
    return { ...result, ceiling: around };
  };
  const internal = await bracketed(kd, "db A");
  const forwarded = await bracketed(noCache, "ext.bench.test A");
  const forwardedDistinct = await bracketed(noCache, distinct);
  const cached = await bracketed(kd, "ext.bench.test A");
  const cachedDistinct = await bracketed(kd, distinct);
  const directInternal = await bracketed(dm, "db A");
  const directDistinct = await bracketed(dm, distinct);
  // metrics cost: the same internal load against a replica started with --no-metrics, alternated
  const noMetrics = await setup.startAnother(["--no-metrics"]);
  const withMetricsQps: number[] = [internal.qps];
  const withoutMetricsQps: number[] = [];
  for (let round = 0; round < 2; round++) {
    withoutMetricsQps.push((await run(noMetrics.dns, "db A")).qps);
    if (round === 0) withMetricsQps.push((await run(kd, "db A")).qps);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  const latency = (server: typeof kd, query: string) =>
    run(server, query, { maxQps: 10_000, verbose: true });
  const latencies: [string, PerfResult][] = [
    ["(a) internal            ", await latency(kd, "db A")],
    ["(b) forwarded, no cache ", await latency(noCache, "ext.bench.test A")],
    ["(e) forwarded, cached   ", await latency(kd, "ext.bench.test A")],
    ["(c) dnsmasq direct      ", await latency(dm, "db A")],
    ["(d) bare Deno responder ", await latency(ceilingAddress, "db A")],
  ];

  const fmt = (n: number, digits = 0) => n.toFixed(digits);
  const ratio = (r: { qps: number; ceiling: number }) => r.qps / r.ceiling;
  const row = (label: string, r: PerfResult & { ceiling: number }, note = "") =>
    console.log(
      `  ${label} ${fmt(r.qps).padStart(7)}   ${fmt(ratio(r), 2)} of d   lost ${r.lost}${note}`,
    );
  const ceilingQps = ceilings.map((c) => c.qps);
  console.log(
    `kubedock-dns DNS benchmark, ${seconds} s per run, dnsperf on the same 2-core machine\n`,
  );
  console.log(
    "max throughput (queries/s, and as a ratio to the bare responder d run just before and after)",
  );
  console.log(
    `  (d) bare Deno UDP responder  ${fmt(Math.min(...ceilingQps))}–${
      fmt(Math.max(...ceilingQps))
    } over its ${ceilings.length} runs   (the runtime's ceiling, no DNS work)`,
  );
  row("(a) internal                 ", internal, "   (target >= 0.85 of d)");
  row("(b) forwarded, cache off     ", forwarded, "   (target >= 0.45 of d)");
  row("(b') cache off, 1,000 names  ", forwardedDistinct, "   (no sharing in flight)");
  row("(e) forwarded from the cache ", cached, "   (target >= 0.80 of d)");
  row("(e') cached, 1,000 names     ", cachedDistinct);
  row("(c) dnsmasq direct, db       ", directInternal);
  row("    dnsmasq direct, 1,000    ", directDistinct);
  console.log(
    `  a/d = ${fmt(ratio(internal), 2)}   b/d = ${fmt(ratio(forwarded), 2)}   e/d = ${
      fmt(ratio(cached), 2)
    }   a/c = ${fmt(internal.qps / directInternal.qps, 2)}   d/c = ${
      fmt(directInternal.ceiling / directInternal.qps, 2)
    }`,
  );
  console.log(
    `\nmetrics on vs off (internal, mean of ${withMetricsQps.length} and ${withoutMetricsQps.length} runs): ` +
      `${fmt(mean(withMetricsQps))} vs ${fmt(mean(withoutMetricsQps))} queries/s, ` +
      `ratio ${fmt(mean(withMetricsQps) / mean(withoutMetricsQps), 3)} (target >= 0.95)`,
  );
  console.log("\nlatency at 10,000 queries/s (ms)");
  for (const [name, r] of latencies) {
    console.log(
      `  ${name}  p50 ${fmt(percentile(r.latenciesMs, 50), 3)}  p99 ${
        fmt(percentile(r.latenciesMs, 99), 3)
      }  (${r.latenciesMs.length} answers)`,
    );
  }
  const p99 = (i: number) => percentile(latencies[i][1].latenciesMs, 99);
  console.log(
    `  internal p99 / bare p99 = ${fmt(p99(0) / p99(4), 2)}   (target <= 1.3)   ` +
      `internal p99 / dnsmasq p99 = ${fmt(p99(0) / p99(3), 2)}`,
  );
} finally {
  await bare.stop();
  await setup.stop();
}
