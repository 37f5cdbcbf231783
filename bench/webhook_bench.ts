/**
 * Admission reviews over TLS: 2,000 CREATE reviews of opted-in pods, 20 in flight, against
 * kubedock-dns running as a subprocess. Prints p50/p99 latency and reviews per second.
 *
 * Usage: deno task bench:webhook
 *
 * @module
 */

import { generateWebhookCertificates } from "../src/webhook/certificates.ts";
import { freePort } from "../src/testing/dnsmasq.ts";
import { mainPermissions, startMain } from "../src/testing/main_process.ts";
import { kubedockPod } from "../src/testing/mod.ts";
import { startKubeApiserver } from "../src/testing/kube_apiserver.ts";
import { percentile } from "./harness.ts";

const REVIEWS = 2_000;
const IN_FLIGHT = 20;

const api = await startKubeApiserver();
const certs = await generateWebhookCertificates(["localhost"]);
await Deno.writeTextFile(`${api.dir}/tls.crt`, certs.serving.cert);
await Deno.writeTextFile(`${api.dir}/tls.key`, certs.serving.key);
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
const client = Deno.createHttpClient({ caCerts: [certs.ca.cert] });
try {
  await main.waitReady();
  const body = (i: number) =>
    JSON.stringify({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: {
        uid: `uid-${i}`,
        kind: { group: "", version: "v1", kind: "Pod" },
        resource: { group: "", version: "v1", resource: "pods" },
        namespace: "ci",
        operation: "CREATE",
        object: kubedockPod(`pod-${i}`, ["db", "postgres"], ["5d2c" + "e1".repeat(30)]),
      },
    });
  const review = async (i: number) => {
    const started = performance.now();
    const response = await fetch(`https://localhost:${port}/mutate/pods`, {
      method: "POST",
      body: body(i),
      headers: { "content-type": "application/json" },
      client,
    });
    const result = await response.json();
    if (!result.response?.allowed || !result.response.patch) {
      throw new Error(`unexpected: ${JSON.stringify(result)}`);
    }
    return performance.now() - started;
  };
  for (let i = 0; i < 100; i++) await review(i); // warm-up: TLS sessions, JIT
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < REVIEWS) latencies.push(await review(next++));
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(`admission webhook: ${REVIEWS} CREATE reviews over TLS, ${IN_FLIGHT} in flight`);
  console.log(`  ${(REVIEWS / seconds).toFixed(0)} reviews/s`);
  console.log(
    `  p50 ${percentile(latencies, 50).toFixed(2)} ms   p99 ${
      percentile(latencies, 99).toFixed(2)
    } ms`,
  );
} finally {
  client.close();
  await main.stop();
  await api.stop();
}
