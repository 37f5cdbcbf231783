/**
 * DNS throughput and latency, all in one run on this machine: dnsperf against kubedock-dns for
 * (a) internal answers (sent from a pod IP) and (b) forwarded answers, and against (c) dnsmasq
 * serving the same names directly; then p50/p99 at a fixed 10,000 queries per second.
 *
 * Usage: deno task bench:dns [--seconds N]
 *
 * @module
 */

import { freePort } from "../tests/helpers/dnsmasq.ts";
import { DISTINCT_NAMES, dnsperf, percentile, startBench } from "./harness.ts";

const secondsArg = Deno.args.indexOf("--seconds");
const seconds = secondsArg >= 0 ? Number(Deno.args[secondsArg + 1]) : 5;
if (!(seconds > 0 && seconds <= 60)) throw new Error("--seconds takes 1 to 60");

const setup = await startBench();
const barePort = freePort();
const bare = new Deno.Command("deno", {
  args: [
    "run",
    "--allow-net=127.0.0.0/8",
    new URL("./bare_udp_responder.ts", import.meta.url).pathname,
    String(barePort),
  ],
  stdout: "null",
  stderr: "inherit",
}).spawn();
await new Promise((r) => setTimeout(r, 1000));
try {
  const kd = setup.main.dns;
  const dm = setup.dnsmasq.address;
  const run = (server: typeof kd, query: string | string[], extra = {}) =>
    dnsperf({ server, source: setup.podIp, query, seconds, ...extra });

  const internal = await run(kd, "db A");
  const forwarded = await run(kd, "ext.bench.test A");
  const distinct = DISTINCT_NAMES.map((name) => `${name} A`);
  const forwardedDistinct = await run(kd, distinct);
  const directDistinct = await run(dm, distinct);
  const directInternal = await run(dm, "db A");
  const directForwarded = await run(dm, "ext.bench.test A");
  const ceiling = await run({ hostname: "127.0.0.1", port: barePort }, "db A");
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
  const kdLatency = await latency(kd, "db A");
  const kdForwardLatency = await latency(kd, "ext.bench.test A");
  const dmLatency = await latency(dm, "db A");
  const bareLatency = await latency({ hostname: "127.0.0.1", port: barePort }, "db A");

  const fmt = (n: number, digits = 0) => n.toFixed(digits);
  console.log(
    `kubedock-dns DNS benchmark, ${seconds} s per run, dnsperf on the same 2-core machine\n`,
  );
  console.log("max throughput (queries/s)");
  console.log(`  (a) kubedock-dns internal   ${fmt(internal.qps)}   lost ${internal.lost}`);
  console.log(`  (b) kubedock-dns forwarded  ${fmt(forwarded.qps)}   lost ${forwarded.lost}`);
  console.log(
    `  (b') forwarded, 1,000 names  ${
      fmt(forwardedDistinct.qps)
    }   lost ${forwardedDistinct.lost}` +
      "   (one name repeated shares exchanges in flight; these do not)",
  );
  console.log(`  (c) dnsmasq direct, db      ${fmt(directInternal.qps)}`);
  console.log(`      dnsmasq direct, 1,000   ${fmt(directDistinct.qps)}`);
  console.log(`      dnsmasq direct, ext     ${fmt(directForwarded.qps)}`);
  console.log(
    `  (d) bare Deno UDP responder ${fmt(ceiling.qps)}   (the runtime's ceiling, no DNS work)`,
  );
  console.log(`  a/c = ${fmt(internal.qps / directInternal.qps, 2)}   (target >= 0.70)`);
  console.log(`  b/c = ${fmt(forwarded.qps / directForwarded.qps, 2)}   (target >= 0.35)`);
  console.log(`  b'/c = ${fmt(forwardedDistinct.qps / directDistinct.qps, 2)}`);
  console.log(
    `  a/d = ${fmt(internal.qps / ceiling.qps, 2)}   d/c = ${
      fmt(ceiling.qps / directInternal.qps, 2)
    }`,
  );
  console.log(
    `\nmetrics on vs off (internal, mean of ${withMetricsQps.length} and ${withoutMetricsQps.length} runs): ` +
      `${fmt(mean(withMetricsQps))} vs ${fmt(mean(withoutMetricsQps))} queries/s, ` +
      `ratio ${fmt(mean(withMetricsQps) / mean(withoutMetricsQps), 3)} (target >= 0.95)`,
  );
  console.log("\nlatency at 10,000 queries/s (ms)");
  for (
    const [name, r] of [
      ["kubedock-dns internal ", kdLatency],
      ["kubedock-dns forwarded", kdForwardLatency],
      ["dnsmasq direct        ", dmLatency],
      ["bare Deno responder   ", bareLatency],
    ] as const
  ) {
    console.log(
      `  ${name}  p50 ${fmt(percentile(r.latenciesMs, 50), 3)}  p99 ${
        fmt(percentile(r.latenciesMs, 99), 3)
      }  (${r.latenciesMs.length} answers)`,
    );
  }
  console.log(
    `  internal p99 / dnsmasq p99 = ${
      fmt(percentile(kdLatency.latenciesMs, 99) / percentile(dmLatency.latenciesMs, 99), 2)
    }   (target <= 1)`,
  );
} finally {
  bare.kill();
  await bare.status;
  await setup.stop();
}
