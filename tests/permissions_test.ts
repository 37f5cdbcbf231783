/**
 * The permission model as a feature: the program runs with exactly the production permission set
 * (`-P=kubedock-dns`, the set the Dockerfile bakes in) and works, while reading outside its list,
 * connecting outside its list, writing and spawning are refused by Deno.
 */
import assert from "node:assert/strict";
import { FakeApiServer } from "../src/fake/api_server.ts";
import { answerData, dig } from "./helpers/dig.ts";
import { freePort, startDnsmasq } from "../src/testing/dnsmasq.ts";
import { startMain } from "../src/testing/main_process.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";
import {
  bootstrappedWebhookArgs,
  startKubeApiserver,
  WEBHOOK_AUTHORITY,
} from "../src/testing/kube_apiserver.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
/** The one kubeconfig path the production set may read outside the cluster. */
const KUBECONFIG = `${ROOT}/kubeconfig.yaml`;

Deno.test("the production permission set refuses what the program must never do", async () => {
  const { code, stdout, stderr } = await new Deno.Command("deno", {
    args: ["run", "--no-prompt", "-P=kubedock-dns", "tests/fixtures/permission_probe.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const results = JSON.parse(new TextDecoder().decode(stdout));
  assert.equal(
    results["read /etc/resolv.conf"],
    "allowed",
    "the control: a listed file is readable",
  );
  for (
    const refused of [
      "read /etc/passwd",
      "read the repository",
      "connect blocked.invalid:80",
      "fetch https://blocked.invalid/",
      "write /tmp/kubedock-dns-probe",
      "spawn true",
      "env HOME",
    ]
  ) {
    assert.equal(results[refused], "NotCapable", `${refused}: ${results[refused]}`);
  }
});

Deno.test("the program works with exactly the production permission set", async () => {
  const dnsmasq = await startDnsmasq({ "ext.example.test": ["192.0.2.7"] });
  const api = await startKubeApiserver();
  const port = freePort();
  api.proxy.register(WEBHOOK_AUTHORITY, { hostname: "127.0.0.1", port });
  await Deno.writeTextFile(KUBECONFIG, api.fake.kubeconfig());
  const main = await startMain([
    ...bootstrappedWebhookArgs(KUBECONFIG, port, dnsmasq.address.port),
  ], ["-P=kubedock-dns"]);
  try {
    await eventually(
      () => api.fake.store.list("secrets", "ci", () => true).items.length === 1,
      "Secret bootstrapped",
      15_000,
    );
    const fake: FakeApiServer = api.fake;
    await main.waitReady();
    const db = await fake.createPod(kubedockPod("db1", ["db"], ["n1"]));
    assert.equal((db.spec as { dnsPolicy?: string }).dnsPolicy, "None", "the webhook answered");
    await fake.createPod(kubedockPod("app1", ["app"], ["n1"]));
    const ipOf = (name: string) => fake.podIp(name, "ci");
    await eventually(() => !!ipOf("db1") && !!ipOf("app1"), "pod IPs");
    const internal = await dig("db", { server: main.dns, source: ipOf("app1")! });
    assert.deepEqual(answerData(internal, "A"), [ipOf("db1")!], internal.output + main.logs());
    const forwarded = await dig("ext.example.test", { server: main.dns, source: ipOf("app1")! });
    assert.deepEqual(answerData(forwarded, "A"), ["192.0.2.7"]);
    assert.doesNotMatch(main.logs(), /NotCapable|Requires .* access/);
  } finally {
    const code = await main.stop();
    await Deno.remove(KUBECONFIG);
    await api.stop();
    await dnsmasq.stop();
    assert.equal(code, 0, main.logs()); // after the clean-up
  }
});
