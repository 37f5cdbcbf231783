/**
 * Admission reviews over TLS: 2,000 CREATE reviews of opted-in pods, 20 in flight, against
 * kubedock-dns running as a subprocess, sent by a load generator of its own
 * (bench/webhook_load.ts) that talks as kube-apiserver does, after a warm-up with the same load
 * (400 reviews); three rounds, each with its p50/p99/max and reviews per second, the median p99,
 * and the server's own decision times from its /metrics histogram (the rest of a review's time is
 * TLS, HTTP and the client, which shares the machine). Then one review at a time, as an API
 * server sends them when pods are created one by one: p50 and p99 of 200.
 *
 * Usage: deno task bench:webhook
 *
 * @module
 */

import { generateWebhookCertificates } from "../src/webhook/certificates.ts";
import { freePort } from "../src/testing/dnsmasq.ts";
import { mainPermissions, startMain } from "../src/testing/main_process.ts";
import { startKubeApiserver } from "../src/testing/kube_apiserver.ts";
import { median } from "./compare_stats.ts";
import { percentile } from "./harness.ts";

const REVIEWS = 2_000;
const IN_FLIGHT = 20;
const WARM_UP = 400;
const ROUNDS = 3;
const ONE_AT_A_TIME = 200;

/** The decision-time histogram of /metrics as "≤ 0.1 ms n%, ...". */
function decisionTimes(metrics: string): string {
  const buckets = [...metrics.matchAll(
    /^kubedock_dns_admission_duration_seconds_bucket\{operation="CREATE",le="([^"]+)"\} (\d+)$/gm,
  )].map(([, le, count]) => [Number(le), Number(count)] as const);
  const total = buckets.at(-1)?.[1] ?? 0;
  return buckets.filter(([le]) => le <= 0.01).map(([le, count]) =>
    `≤ ${le * 1000} ms ${(100 * count / total).toFixed(1)}%`
  ).join(", ");
}

/** Runs the load generator; one result per round. */
async function generateLoad(
  port: number,
  caFile: string,
  reviews: number,
  inFlight: number,
  warmUp: number,
  rounds: number,
): Promise<{ latencies: number[]; perSecond: number }[]> {
  const output = await new Deno.Command("deno", {
    args: [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      `--allow-read=${caFile}`,
      new URL("./webhook_load.ts", import.meta.url).pathname,
      String(port),
      caFile,
      ...[reviews, inFlight, warmUp, rounds].map(String),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error("the load generator failed");
  return new TextDecoder().decode(output.stdout).trim().split("\n").map((line) => JSON.parse(line));
}

const api = await startKubeApiserver();
const certs = await generateWebhookCertificates(["localhost"]);
await Deno.writeTextFile(`${api.dir}/tls.crt`, certs.serving.cert);
await Deno.writeTextFile(`${api.dir}/tls.key`, certs.serving.key);
await Deno.writeTextFile(`${api.dir}/ca.crt`, certs.ca.cert);
const port = freePort();
const main = await startMain([
  "--kubeconfig",
  api.kubeconfig,
  "--webhook-listen",
  `127.0.0.1:${port}`,
  "--tls-cert",
  `${api.dir}/tls.crt`,
  "--tls-key",
  `${api.dir}/tls.key`,
  "--upstream",
  "127.0.0.1:9",
  "--log-level",
  "warning",
], mainPermissions(api.kubeconfig, `${api.dir}/tls.crt`, `${api.dir}/tls.key`));
try {
  await main.waitReady();
  const ca = `${api.dir}/ca.crt`;
  const results = await generateLoad(port, ca, REVIEWS, IN_FLIGHT, WARM_UP, ROUNDS);
  console.log(`admission webhook: ${REVIEWS} CREATE reviews over TLS, ${IN_FLIGHT} in flight`);
  results.forEach(({ latencies, perSecond }, i) =>
    console.log(
      `  round ${i + 1}: ${perSecond.toFixed(0)} reviews/s   p50 ${
        percentile(latencies, 50).toFixed(2)
      } ms   p99 ${percentile(latencies, 99).toFixed(2)} ms   max ${
        latencies.at(-1)!.toFixed(2)
      } ms`,
    )
  );
  const p99s = results.map(({ latencies }) => percentile(latencies, 99));
  console.log(
    `  p99, median of ${ROUNDS} rounds: ${median(p99s).toFixed(2)} ms   (target < 10 ms)`,
  );
  const metrics = await (await fetch(`http://127.0.0.1:${main.health.port}/metrics`)).text();
  console.log(`  the server's own time to decide a review: ${decisionTimes(metrics)}`);
  const [single] = await generateLoad(port, ca, ONE_AT_A_TIME, 1, 20, 1);
  console.log(
    `one review at a time (${ONE_AT_A_TIME}): p50 ${
      percentile(single.latencies, 50).toFixed(2)
    } ms   p99 ${percentile(single.latencies, 99).toFixed(2)} ms`,
  );
} finally {
  await main.stop();
  await api.stop();
}
