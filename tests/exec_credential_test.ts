/**
 * Kubeconfig exec credential plugins (how EKS, GKE and AKS kubeconfigs authenticate): a small
 * plugin script counts its runs and prints a token that expires in about two seconds. Against the
 * fake API server over HTTPS, which accepts only the plugin's tokens: the connection runs the
 * plugin, keeps the token until it expires, runs it again after a 401; `deno task start:local`
 * allows exactly the plugin's command, lists pods with its token, and runs it again once the
 * token has expired.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { FakeApiServer } from "../src/fake/api_server.ts";
import { kubeconfigFor } from "../src/fake/routes.ts";
import { KubeApi, loadConnection } from "../src/kube/mod.ts";
import { freePort, waitForTcp } from "../src/testing/dnsmasq.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";
import { generateWebhookCertificates } from "../src/webhook/certificates.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
/** start:local reads kubeconfigs under ./ and ~/.kube only. */
const KUBECONFIG = `${ROOT}/kubeconfig.yaml`;

/** The plugin: counts its runs in $COUNT_FILE, prints a token that expires in about 2 s. */
const PLUGIN = `${ROOT}/tests/fixtures/token_plugin.sh`;

/** An HTTPS fake API server that accepts the plugin's tokens, and a kubeconfig using the plugin. */
async function setUp() {
  const server = await generateWebhookCertificates(["localhost"], 1, ["127.0.0.1"]);
  const fake = FakeApiServer.start({ namespace: "ci", tls: server.serving });
  const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-exec-" });
  const countFile = `${dir}/runs`;
  let oldest = 1;
  fake.acceptAuthorization = (value) => {
    const n = Number(/^Bearer exec-token-(\d+)$/.exec(value ?? "")?.[1] ?? NaN);
    return n >= oldest;
  };
  await Deno.writeTextFile(
    KUBECONFIG,
    kubeconfigFor(fake.url, "ci", {
      caCert: server.ca.cert,
      user: {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1",
          command: PLUGIN,
          env: [{ name: "COUNT_FILE", value: countFile }],
          interactiveMode: "Never",
          provideClusterInfo: true,
        },
      },
    }),
  );
  const runs = () => {
    try {
      return Number(Deno.readTextFileSync(countFile).trim());
    } catch {
      return 0;
    }
  };
  return {
    fake,
    runs,
    execInfo: async () => JSON.parse(await Deno.readTextFile(`${countFile}.info`)),
    revokeUpTo: (n: number) => oldest = n + 1,
    async tearDown() {
      await fake.stop();
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(KUBECONFIG).catch(() => {});
    },
  };
}

Deno.test("exec plugin: run once, token kept until expiry, run again after a 401", async () => {
  const env = await setUp();
  try {
    const connection = await loadConnection({ kubeconfig: KUBECONFIG });
    assert.match(connection.source, /exec plugin .*token_plugin\.sh/);
    const api = new KubeApi(connection);
    const list = () => api.json<{ items: unknown[] }>("GET", "/api/v1/namespaces/ci/pods");
    await Promise.all([list(), list(), list()]);
    assert.equal(env.runs(), 1, "callers at once share one run; the token is kept");
    const info = await env.execInfo();
    assert.equal(info.kind, "ExecCredential");
    assert.equal(info.spec.interactive, false);
    assert.equal(info.spec.cluster.server, env.fake.url, "provideClusterInfo");
    env.revokeUpTo(1); // the server no longer takes token 1: 401
    await list();
    assert.equal(env.runs(), 2, "a 401 runs the plugin again, and the request succeeds");
    assert.ok(env.fake.authorizations.has("Bearer exec-token-2"));
    await new Promise((r) => setTimeout(r, 2_100)); // token 2 has expired
    await list();
    assert.equal(env.runs(), 3, "an expired token runs the plugin again");
    connection.httpClient?.close();
  } finally {
    await env.tearDown();
  }
});

Deno.test("auth-provider gets one clear line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-authprovider-" });
  try {
    await Deno.writeTextFile(
      `${dir}/kubeconfig`,
      stringify({
        clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443" } }],
        users: [{ name: "u", user: { "auth-provider": { name: "gcp" } } }],
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        "current-context": "x",
      }),
    );
    await assert.rejects(
      loadConnection({ kubeconfig: `${dir}/kubeconfig` }),
      /auth-provider plugin, which Kubernetes removed in 1\.26: use the provider's exec plugin/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("start:local with an exec plugin: pods listed over HTTPS, plugin run again on expiry", async () => {
  const env = await setUp();
  const health = { hostname: "127.0.0.1", port: freePort() };
  const child = new Deno.Command("deno", {
    args: [
      "task",
      "--quiet",
      "start:local",
      "--kubeconfig",
      "kubeconfig.yaml",
      "--no-webhook",
      "--upstream",
      "127.0.0.1:9", // never asked in this test
      "--dns-listen",
      `127.0.0.1:${freePort()}`,
      "--health-listen",
      `${health.hostname}:${health.port}`,
      "--lameduck",
      "0s",
      "--log-format",
      "text",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let logs = "";
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) logs += chunk;
  })();
  const readyz = async () => {
    const response = await fetch(`http://${health.hostname}:${health.port}/readyz`);
    await response.body?.cancel();
    return response.status;
  };
  try {
    await env.fake.createPod(kubedockPod("db1", ["db"], ["n1"]));
    await waitForTcp(health);
    const deadline = Date.now() + 20_000;
    while ((await readyz()) !== 200) {
      if (Date.now() > deadline) throw new Error(`never ready:\n${logs}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(logs, /listed 1 kubedock pods/);
    assert.equal(env.runs(), 1);
    assert.ok(env.fake.authorizations.has("Bearer exec-token-1"));
    await new Promise((r) => setTimeout(r, 2_100)); // the token has expired
    env.fake.closeWatches(false); // the watcher resumes: a new request, a new token
    await eventually(() => env.runs() >= 2, "the plugin ran again", 10_000);
    await eventually(
      () => env.fake.authorizations.has("Bearer exec-token-2"),
      "the new token was used",
    );
    assert.equal(await readyz(), 200);
    assert.doesNotMatch(logs, /NotCapable|Requires .* access/);
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await child.stdout.cancel();
    await reading;
    await env.tearDown();
  }
});
