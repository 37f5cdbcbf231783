/**
 * The monitoring component proven on real tools: `promtool check rules` on the PrometheusRule's
 * group, `promtool test rules` with a unit test of every alert (tests/fixtures), every metric the
 * rules and the dashboard name served by a running kubedock-dns, and a real Prometheus (Debian's,
 * on loopback) scraping it with the rules: when the upstream stops, KubedockDnsUpstreamDown fires;
 * when it is back, the alert resolves. In that Prometheus every rule's `for` is 2 s instead of
 * minutes (the unit tests pin the real ones), so the test is bounded in seconds.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { dig } from "./helpers/dig.ts";
import { freePort, startDnsmasq } from "../src/testing/dnsmasq.ts";
import { mainPermissions, startMain } from "../src/testing/main_process.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";
import {
  bootstrappedWebhookArgs,
  startKubeApiserver,
  WEBHOOK_AUTHORITY,
} from "../src/testing/kube_apiserver.ts";

const MONITORING = new URL("../manifests/components/monitoring", import.meta.url).pathname;
const UNIT_TESTS = new URL("./fixtures/alerts_unit_test.yaml", import.meta.url).pathname;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  annotations?: Record<string, string>;
}
type RuleGroups = { groups: { name: string; rules: Rule[] }[] };

/** The PrometheusRule's spec: a plain Prometheus rule file. */
async function ruleGroups(): Promise<RuleGroups> {
  return parse(await Deno.readTextFile(`${MONITORING}/prometheus-rule.yaml`)).spec;
}

async function run(command: string, args: string[], cwd?: string) {
  const { code, stdout, stderr } = await new Deno.Command(command, { args, cwd }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  return { code, text };
}

/** Runs the unit tests against `groups` (annotations left out) in a new folder. */
async function promtoolTest(groups: RuleGroups) {
  const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-alerts-" });
  try {
    const bare = structuredClone(groups);
    for (const group of bare.groups) for (const rule of group.rules) delete rule.annotations;
    await Deno.writeTextFile(`${dir}/rules.yaml`, stringify(bare));
    await Deno.copyFile(UNIT_TESTS, `${dir}/alerts_unit_test.yaml`);
    return await run("promtool", ["test", "rules", "alerts_unit_test.yaml"], dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every metric name an expression reads (histogram series named by their family). */
export function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(kubedock_dns_\w+|process_resident_memory_bytes)\b/g)].map((m) =>
    m[1].replace(/_(bucket|sum|count)$/, "")
  );
}

Deno.test("alerts and dashboard", async (t) => {
  const groups = await ruleGroups();
  const rules = groups.groups.flatMap((g) => g.rules);

  await t.step("promtool check rules: the rule group is valid, templates included", async () => {
    const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-alerts-" });
    try {
      await Deno.writeTextFile(`${dir}/rules.yaml`, stringify(groups));
      const checked = await run("promtool", ["check", "rules", `${dir}/rules.yaml`]);
      assert.equal(checked.code, 0, checked.text);
      assert.match(checked.text, new RegExp(`SUCCESS: ${rules.length} rules found`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step("promtool test rules: each alert fires when it should, and only then", async () => {
    const tests = await Deno.readTextFile(UNIT_TESTS);
    for (const rule of rules) {
      assert.match(
        tests,
        new RegExp(`alertname: ${rule.alert}\\b`),
        `a unit test of ${rule.alert}`,
      );
    }
    const tested = await promtoolTest(groups);
    assert.equal(tested.code, 0, tested.text);
    // and they can fail: a replicas alert that waits for zero ready replicas is caught
    const broken = structuredClone(groups);
    broken.groups[0].rules.find((r) => r.alert === "KubedockDnsReplicasNotReady")!.expr =
      "sum by (namespace) (kubedock_dns_ready) < 1 or absent(kubedock_dns_ready)";
    const failed = await promtoolTest(broken);
    assert.notEqual(failed.code, 0);
    assert.match(failed.text, /one of two replicas not ready/);
  });

  const dnsmasq = await startDnsmasq({ "ext.example.test": ["192.0.2.7"] });
  const upstreamPort = dnsmasq.address.port;
  let upstream: { stop(): Promise<void> } | undefined = dnsmasq;
  const api = await startKubeApiserver();
  const port = freePort();
  api.proxy.register(WEBHOOK_AUTHORITY, { hostname: "127.0.0.1", port });
  const main = await startMain([
    ...bootstrappedWebhookArgs(api.kubeconfig, port, upstreamPort),
    "--upstream-timeout",
    "300ms",
  ], mainPermissions(api.kubeconfig));
  let prometheus: Deno.ChildProcess | undefined;
  const dataDir = await Deno.makeTempDir({ prefix: "kubedock-dns-prometheus-" });
  try {
    await main.waitReady();
    const metricsText = async () =>
      await (await fetch(`http://127.0.0.1:${main.health.port}/metrics`)).text();

    await t.step("every metric the rules and the dashboard read is served", async () => {
      await api.fake.createPod(kubedockPod("db1", ["db"], ["n1"])); // an admission review
      await eventually(() => !!api.fake.podIp("db1", "ci"), "db1's IP");
      const ip = api.fake.podIp("db1", "ci")!;
      const from = { server: main.dns, source: ip };
      assert.equal((await dig("db", from)).status, "NOERROR"); // internal
      assert.equal((await dig("ext.example.test", from)).status, "NOERROR"); // forwarded
      assert.equal((await dig("ext.example.test", from)).status, "NOERROR"); // cached
      const text = await metricsText();
      const served = new Set(
        [...text.matchAll(/^([a-z_]+?)(?:_bucket|_sum|_count)?(?:\{[^}]*\})? \S+$/gm)].map((m) =>
          m[1]
        ),
      );
      const dashboard = JSON.parse(await Deno.readTextFile(`${MONITORING}/dashboard.json`));
      const dashboardExprs: string[] = dashboard.panels.flatMap((
        p: { targets: { expr: string }[] },
      ) => p.targets.map((target) => target.expr));
      const wanted = new Set([...rules.map((r) => r.expr), ...dashboardExprs].flatMap(metricNames));
      assert.ok(wanted.size >= 20, `${wanted.size} metrics read`);
      const missing = [...wanted].filter((name) => !served.has(name));
      assert.deepEqual(missing, [], "metrics named but not served (with a sample)");
    });

    await t.step("a real Prometheus: the upstream-down alert fires, then resolves", async () => {
      const fast = structuredClone(groups);
      for (const rule of fast.groups[0].rules) if (rule.for) rule.for = "2s";
      await Deno.writeTextFile(`${dataDir}/rules.yaml`, stringify(fast));
      await Deno.writeTextFile(
        `${dataDir}/prometheus.yml`,
        stringify({
          global: { scrape_interval: "1s", evaluation_interval: "1s" },
          rule_files: [`${dataDir}/rules.yaml`],
          scrape_configs: [{
            job_name: "kubedock-dns",
            static_configs: [{
              targets: [`127.0.0.1:${main.health.port}`],
              labels: { namespace: "ci", pod: "kubedock-dns-0" },
            }],
          }],
        }),
      );
      const web = freePort();
      prometheus = new Deno.Command("prometheus", {
        args: [
          `--config.file=${dataDir}/prometheus.yml`,
          `--storage.tsdb.path=${dataDir}/data`,
          `--web.listen-address=127.0.0.1:${web}`,
        ],
        stdout: "null",
        stderr: "null",
      }).spawn();
      const alerts = async () => {
        try {
          const body = await (await fetch(`http://127.0.0.1:${web}/api/v1/alerts`)).json();
          return body.data.alerts as { labels: Record<string, string>; state: string }[];
        } catch {
          return undefined; // not listening yet
        }
      };
      const upstreamAlert = async () =>
        (await alerts())?.find((a) => a.labels.alertname === "KubedockDnsUpstreamDown");
      await eventually(
        async () => (await alerts()) !== undefined,
        "Prometheus answers",
        20_000,
        200,
      );
      await eventually(
        async () => /^kubedock_dns_upstream_up\{[^}]*\} 1$/m.test(await metricsText()),
        "the upstream is up",
        5_000,
        200,
      );
      assert.equal(await upstreamAlert(), undefined, "no alert while the upstream answers");

      await upstream!.stop(); // the cluster DNS goes away
      upstream = undefined;
      let n = 0;
      await eventually(
        async () => {
          await dig(`gone${n++}.example.test`, { server: main.dns, timeSeconds: 1 });
          return /^kubedock_dns_upstream_up\{[^}]*\} 0$/m.test(await metricsText());
        },
        "kubedock-dns marks the upstream down",
        15_000,
        200,
      );
      await eventually(
        async () => (await upstreamAlert())?.state === "firing",
        "KubedockDnsUpstreamDown firing in Prometheus",
        20_000,
        200,
      );
      const firing = await upstreamAlert();
      assert.equal(firing!.labels.upstream, `127.0.0.1:${upstreamPort}`);
      assert.equal(firing!.labels.severity, "critical");

      upstream = await startDnsmasq({}, { port: upstreamPort }); // back where it was
      await eventually(
        async () => (await upstreamAlert()) === undefined,
        "the alert resolves",
        20_000,
        200,
      );
    });
  } finally {
    if (prometheus) {
      prometheus.kill("SIGTERM");
      await prometheus.status;
    }
    await main.stop();
    await upstream?.stop();
    await api.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
