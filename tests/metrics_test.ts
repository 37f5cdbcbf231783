/**
 * /metrics after a known sequence of queries and admissions, parsed with a real Prometheus
 * text-format parser (npm:parse-prometheus-text-format); and /debug/networks.
 */
import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { encodeQuery } from "../src/testing/packet.ts";
import { RawUdpClient } from "./helpers/udp_client.ts";
import { answerData, dig } from "./helpers/dig.ts";
import { freePort, startDnsmasq } from "../src/testing/dnsmasq.ts";
import { mainPermissions, startMain } from "../src/testing/main_process.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";
import {
  bootstrappedWebhookArgs,
  startKubeApiserver,
  WEBHOOK_AUTHORITY,
} from "../src/testing/kube_apiserver.ts";

interface Sample {
  labels?: Record<string, string>;
  value?: string;
  count?: string;
  buckets?: Record<string, string>;
}
interface Family {
  name: string;
  type: string;
  metrics: Sample[];
}

/** The sample's value; a missing family or series fails (so a check for 0 cannot pass by absence). */
function value(families: Family[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  assert.ok(family, `metric ${name} is exposed`);
  const sample = family.metrics.find((m) =>
    Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)
  );
  assert.ok(sample, `${name}${JSON.stringify(labels)} is exposed`);
  return Number(sample.value ?? sample.count);
}

Deno.test("metrics and the debug endpoint", async (t) => {
  const dnsmasq = await startDnsmasq({ "ext.example.test": ["192.0.2.7"] });
  const api = await startKubeApiserver();
  const port = freePort();
  api.proxy.register(WEBHOOK_AUTHORITY, { hostname: "127.0.0.1", port });
  const main = await startMain([
    ...bootstrappedWebhookArgs(api.kubeconfig, port, dnsmasq.address.port),
    "--debug-endpoints",
  ], mainPermissions(api.kubeconfig));
  const fake = api.fake;
  const client = new RawUdpClient("127.0.0.99");
  try {
    await main.waitReady();
    // admissions: 3 CREATE allowed (2 opted in + the late pod), 1 CREATE denied, 1 UPDATE allowed
    await fake.createPod(kubedockPod("db1", ["db"], ["n1"]));
    await fake.createPod(kubedockPod("app1", ["app"], ["n1"]));
    await assert.rejects(
      () => fake.createPod(kubedockPod("bad", ["-x"], ["n1"])),
      /denied the request/,
    );
    const ipOf = (name: string) => fake.podIp(name, "ci");
    await eventually(() => !!ipOf("db1") && !!ipOf("app1"), "IPs");
    const labelled = fake.store.get("pods", "ci", "app1");
    await fake.updatePod({
      ...labelled,
      metadata: { ...labelled.metadata, labels: { ...labelled.metadata!.labels, team: "blue" } },
    });
    const from = { server: main.dns, source: ipOf("app1")! };
    // queries: 3 internal A, 2 forwarded NOERROR, 1 forwarded NXDOMAIN, 1 held then answered, 1 FORMERR
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(answerData(await dig("db", from), "A"), [ipOf("db1")!]);
    }
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(answerData(await dig("ext.example.test", from), "A"), ["192.0.2.7"]);
    }
    assert.equal((await dig("nope.example.test", from)).status, "NXDOMAIN");
    const held = dig("late.ci.svc.cluster.local", from);
    await new Promise((r) => setTimeout(r, 300));
    await fake.createPod(kubedockPod("late", ["late"], ["n1"]));
    assert.equal(answerData(await held, "A").length, 1);
    const formerr = encodeQuery("db", "A", 9);
    formerr[5] = 0;
    assert.ok(await client.exchange(formerr, main.dns));

    const response = await fetch(`http://127.0.0.1:${main.health.port}/metrics`);
    assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const families = parsePrometheusTextFormat(text) as Family[];
    // this parser folds labelled histograms into one bucket map, so their per-label counts are
    // read from the exposition lines themselves
    const histogramCount = (name: string, label: string) =>
      Number(new RegExp(`^${name}_count\\{${label}\\} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
    const q = (path: string, rcode: string) =>
      value(families, "kubedock_dns_queries_total", { qtype: "A", path, rcode });
    await t.step("queries by type, path and rcode; latency per path", () => {
      assert.equal(q("internal", "NOERROR"), 3);
      assert.equal(q("forwarded", "NOERROR"), 2);
      assert.equal(q("forwarded", "NXDOMAIN"), 1);
      assert.equal(q("held", "NOERROR"), 1);
      assert.equal(
        families.find((f) => f.name === "kubedock_dns_query_duration_seconds")?.type,
        "HISTOGRAM",
      );
      assert.equal(histogramCount("kubedock_dns_query_duration_seconds", 'path="internal"'), 3);
    });
    await t.step("held queries and bad packets", () => {
      assert.equal(value(families, "kubedock_dns_held_queries_total", { outcome: "answered" }), 1);
      assert.equal(value(families, "kubedock_dns_held_queries"), 0);
      assert.equal(value(families, "kubedock_dns_bad_packets_total", { action: "rejected" }), 1);
    });
    await t.step("the index and the watch", () => {
      assert.equal(value(families, "kubedock_dns_indexed_pods"), 3);
      assert.equal(value(families, "kubedock_dns_indexed_networks"), 1);
      assert.equal(value(families, "kubedock_dns_watch_relists_total"), 1);
      assert.ok(value(families, "kubedock_dns_watch_events_total", { type: "ADDED" }) >= 3);
    });
    await t.step("admission reviews", () => {
      assert.equal(
        value(families, "kubedock_dns_admission_reviews_total", {
          operation: "CREATE",
          result: "allowed",
        }),
        3,
      );
      assert.equal(
        value(families, "kubedock_dns_admission_reviews_total", {
          operation: "CREATE",
          result: "denied",
        }),
        1,
      );
      assert.equal(
        value(families, "kubedock_dns_admission_reviews_total", {
          operation: "UPDATE",
          result: "allowed",
        }),
        1,
      );
      assert.equal(
        histogramCount("kubedock_dns_admission_duration_seconds", 'operation="CREATE"'),
        4,
      );
    });
    await t.step("build info, upstream and cache", () => {
      assert.equal(value(families, "kubedock_dns_build_info", { version: "0.1.0" }), 1);
      const upstream = { upstream: `127.0.0.1:${dnsmasq.address.port}` };
      assert.equal(value(families, "kubedock_dns_upstream_timeouts_total", upstream), 0);
      assert.equal(value(families, "kubedock_dns_upstream_errors_total", upstream), 0);
      assert.equal(value(families, "kubedock_dns_upstream_up", upstream), 1);
      // forwarded 2 + NXDOMAIN 1 + the held name 1 + the loop probe 1
      assert.ok(value(families, "kubedock_dns_upstream_attempts_total", upstream) >= 5);
      // dnsmasq answers with TTL 0 here, which is never kept
      assert.equal(value(families, "kubedock_dns_cache_requests_total", { result: "hit" }), 0);
      assert.ok(value(families, "kubedock_dns_cache_requests_total", { result: "miss" }) >= 4);
      assert.equal(value(families, "kubedock_dns_cache_entries"), 0);
      assert.equal(value(families, "kubedock_dns_cache_stale_answers_total"), 0);
      assert.equal(value(families, "kubedock_dns_cache_evictions_total"), 0);
    });
    await t.step("/debug/networks", async () => {
      const debug = await (await fetch(`http://127.0.0.1:${main.health.port}/debug/networks`))
        .json();
      assert.equal(debug.synced, true);
      assert.deepEqual(debug.networks.n1.map((p: { pod: string }) => p.pod), [
        "app1",
        "db1",
        "late",
      ]);
      assert.deepEqual(debug.networks.n1[1], {
        pod: "db1",
        uid: fake.store.get("pods", "ci", "db1").metadata!.uid,
        aliases: ["db"],
        ips: [ipOf("db1")],
        ready: true,
      });
    });
  } finally {
    client.close();
    const code = await main.stop();
    await api.stop();
    await dnsmasq.stop();
    assert.equal(code, 0, main.logs()); // after the clean-up
  }
});
