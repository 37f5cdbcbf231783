/**
 * The watch loop against the fake API server, one fault at a time: every point of the issue
 * (list as one replacement, resume after close or cut, bookmarks, idle streams, 410 both ways,
 * refused connections, 5xx) shown on the index.
 */
import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { generateWebhookCertificates } from "../src/webhook/certificates.ts";
import { type KubeConnection, loadConnection } from "../src/kube/connection.ts";
import { FakeApiServer } from "../src/fake/api_server.ts";
import { kubeconfigFor } from "../src/fake/routes.ts";
import { NetworkIndex } from "../src/index/network_index.ts";
import { KubeApi } from "../src/kube/api_client.ts";
import { podToRecord } from "../src/kube/pod_to_record.ts";
import { PodWatcher, type PodWatcherOptions } from "../src/kube/pod_watcher.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";

const CONTRACT = {
  label: "kubedock",
  hostaliasPrefix: "kubedock.hostalias/",
  networkPrefix: "kubedock.network/",
};

function connectionTo(api: FakeApiServer): KubeConnection {
  return {
    server: api.url,
    namespace: api.namespace,
    source: "test",
    authorization: () => Promise.resolve("Bearer test"),
  };
}

/** Runs a watcher against `fake` (over `connection` when given) while `body` runs; stops both. */
async function withWatcher(
  fake: FakeApiServer,
  { connection, ...options }: Partial<PodWatcherOptions> & { connection?: KubeConnection },
  body: (index: NetworkIndex, watcher: PodWatcher) => Promise<void>,
): Promise<void> {
  const index = new NetworkIndex();
  const watcher = new PodWatcher({
    api: new KubeApi(connection ?? connectionTo(fake)),
    index,
    labelSelector: "kubedock=true",
    toRecord: (pod) => podToRecord(pod, CONTRACT),
    log: getLogger(["kubedock-dns", "test"]),
    backoffInitialMs: 50,
    backoffMaxMs: 400,
    ...options,
  });
  const stop = new AbortController();
  const running = watcher.run(stop.signal);
  try {
    await body(index, watcher);
  } finally {
    stop.abort();
    await running;
    await fake.stop();
  }
}

const hasAlias = (index: NetworkIndex, network: string, alias: string) =>
  index.addresses([network], alias) !== undefined;

const watchRequests = (fake: FakeApiServer) =>
  fake.requests.filter((r) => r.includes("watch=true"));

Deno.test("pod watcher", async (t) => {
  await t.step("lists with a server-side selector, then follows events", async () => {
    const fake = FakeApiServer.start({ namespace: "ci" });
    await fake.createPod(kubedockPod("db1", ["db"], ["n1"]));
    await fake.createPod({ metadata: { name: "plain" }, spec: {} }); // not opted in
    await eventually(
      () => fake.store.list("pods", "ci", () => true).items.every((p) => p.status),
      "kubelet",
    );
    await withWatcher(fake, {}, async (index, watcher) => {
      await eventually(() => index.synced, "first list");
      assert.equal(index.podCount, 1);
      assert.ok(fake.requests.some((r) => r.includes("labelSelector=kubedock%3Dtrue")));
      await fake.createPod(kubedockPod("db2", ["db"], ["n2"]));
      await eventually(() => hasAlias(index, "n2", "db"), "db2 indexed");
      fake.setReady("db2", false);
      await eventually(() => !hasAlias(index, "n2", "db"), "db2 not answerable");
      assert.deepEqual(
        index.networksOf(index.get(fake.store.get("pods", "ci", "db2").metadata!.uid!)!.ips[0]),
        ["n2"],
      );
      fake.deletePod("db1");
      await eventually(() => index.podCount === 1, "db1 removed");
      assert.equal(watcher.stats.relists, 1);
    });
  });

  await t.step("a stream closed by the server resumes from the last resourceVersion", async () => {
    const fake = FakeApiServer.start({ namespace: "ci" });
    await withWatcher(fake, {}, async (index, watcher) => {
      await eventually(() => fake.watchCount === 1, "watching");
      await fake.createPod(kubedockPod("a", ["a"], ["n1"]));
      await eventually(() => hasAlias(index, "n1", "a"), "a");
      const seen = watcher.resourceVersion;
      fake.closeWatches(false);
      await eventually(() => watchRequests(fake).length === 2, "rewatch");
      assert.match(watchRequests(fake)[1], new RegExp(`resourceVersion=${seen}&`));
      await fake.createPod(kubedockPod("b", ["b"], ["n1"]));
      await eventually(() => hasAlias(index, "n1", "b"), "b after the resume");
      assert.equal(watcher.stats.relists, 1, "no relist was needed");
    });
  });

  await t.step("a stream cut mid-body resumes and loses nothing", async () => {
    const fake = FakeApiServer.start({ namespace: "ci" });
    await withWatcher(fake, {}, async (index, watcher) => {
      await eventually(() => fake.watchCount === 1, "watching");
      await fake.createPod(kubedockPod("a", ["a"], ["n1"]));
      await eventually(() => hasAlias(index, "n1", "a"), "a");
      fake.closeWatches(true);
      await fake.createPod(kubedockPod("b", ["b"], ["n1"])); // happens while no watch is open
      await eventually(() => hasAlias(index, "n1", "b"), "b after the cut");
      assert.equal(watcher.stats.relists, 1);
      assert.ok(watcher.stats.errors + watcher.stats.reconnects >= 1);
    });
  });

  await t.step("bookmarks move the resourceVersion on", async () => {
    const fake = FakeApiServer.start({ namespace: "ci", bookmarkIntervalMs: 50 });
    await withWatcher(fake, {}, async (_index, watcher) => {
      await eventually(() => fake.watchCount === 1, "watching");
      fake.store.create("services", "ci", { metadata: { name: "other" } }); // moves the global rv
      const target = String(fake.store.resourceVersion);
      await eventually(() => watcher.resourceVersion === target, "bookmark applied");
      assert.ok((watcher.stats.events.BOOKMARK ?? 0) >= 1);
    });
  });

  await t.step("a silent stream is abandoned after the idle time and resumed", async () => {
    const fake = FakeApiServer.start({ namespace: "ci", bookmarkIntervalMs: 60_000 });
    await withWatcher(fake, { idleTimeoutMs: 200 }, async (index, watcher) => {
      await eventually(() => watchRequests(fake).length >= 3, "two idle rewatches");
      assert.ok(watcher.stats.reconnects >= 2);
      await fake.createPod(kubedockPod("a", ["a"], ["n1"]));
      await eventually(() => hasAlias(index, "n1", "a"), "events still flow");
    });
  });

  await t.step("410 as an ERROR event relists, and pods gone meanwhile are removed", async () => {
    const fake = FakeApiServer.start({ namespace: "ci" });
    await fake.createPod(kubedockPod("old", ["old"], ["n1"]));
    await withWatcher(fake, {}, async (index, watcher) => {
      await eventually(() => hasAlias(index, "n1", "old"), "old");
      await fake.refuseConnections(300); // the watcher is away
      fake.deletePod("old");
      await fake.createPod(kubedockPod("new", ["new"], ["n1"]));
      fake.store.compact();
      await eventually(() => hasAlias(index, "n1", "new"), "new after relist");
      assert.equal(
        hasAlias(index, "n1", "old"),
        false,
        "deleted while away: removed by the relist",
      );
      assert.equal(index.podCount, 1);
      assert.equal(watcher.stats.relists, 2);
    });
  });

  await t.step("410 as an HTTP status relists too", async () => {
    const fake = FakeApiServer.start({ namespace: "ci" });
    await withWatcher(fake, {}, async (_index, watcher) => {
      await eventually(() => fake.watchCount === 1, "watching");
      fake.failRequests(1, 410);
      fake.closeWatches(false);
      await eventually(() => watcher.stats.relists === 2, "relist");
    });
  });

  await t.step("refused connections and 500s back off and recover", async () => {
    const fake = FakeApiServer.start({ namespace: "ci" });
    await fake.refuseConnections(600);
    await withWatcher(fake, {}, async (index, watcher) => {
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(index.synced, false);
      await eventually(() => index.synced, "list once the server is back");
      assert.ok(watcher.stats.errors >= 1);
      const errorsBefore = watcher.stats.errors;
      fake.failRequests(3, 500);
      fake.closeWatches(false);
      await fake.createPod(kubedockPod("a", ["a"], ["n1"]));
      await eventually(() => hasAlias(index, "n1", "a"), "a after the 500s");
      assert.equal(watcher.stats.errors - errorsBefore, 3);
    });
  });
});

Deno.test("the watcher over HTTPS: cluster CA, client certificate and token from a kubeconfig", async () => {
  const server = await generateWebhookCertificates(["localhost"], 1, ["127.0.0.1"]);
  const client = await generateWebhookCertificates(["kubedock-dns-client"], 1);
  const fake = FakeApiServer.start({ namespace: "ci", tls: server.serving });
  const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-https-" });
  await Deno.writeTextFile(`${dir}/client.crt`, client.serving.cert); // a file reference, relative
  await Deno.writeTextFile(
    `${dir}/kubeconfig`,
    kubeconfigFor(fake.url, "ci", {
      caCert: server.ca.cert,
      user: {
        "client-certificate": "client.crt",
        "client-key-data": btoa(client.serving.key),
        token: "t0k",
      },
    }),
  );
  try {
    assert.match(fake.url, /^https:/);
    const connection = await loadConnection({ kubeconfig: `${dir}/kubeconfig` });
    assert.ok(connection.httpClient, "a TLS client with the cluster CA and the client certificate");
    await fake.createPod(kubedockPod("db1", ["db"], ["n1"]));
    await withWatcher(fake, { connection }, async (index) => {
      await eventually(() => hasAlias(index, "n1", "db"), "db1 over HTTPS");
      await fake.createPod(kubedockPod("db2", ["db2"], ["n1"]));
      await eventually(() => hasAlias(index, "n1", "db2"), "a watch event over HTTPS");
      // while the server is up: without the cluster CA it is refused, with it answered
      const untrusted = await fetch(`${fake.url}/api`).then(
        (r) => (r.body?.cancel(), "connected"),
        (e) => String(e.cause ?? e),
      );
      assert.match(untrusted, /certificate|UnknownIssuer|invalid peer/i);
      const trusted = await fetch(`${fake.url}/api`, { client: connection.httpClient }).then((r) =>
        r.json()
      );
      assert.equal(trusted.kind, "APIVersions");
    });
    connection.httpClient!.close();
  } finally {
    await fake.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("in-cluster: service account token (re-read), CA and namespace, over HTTPS", async () => {
  const server = await generateWebhookCertificates(["kubernetes.default.svc"], 1, ["127.0.0.1"]);
  const fake = FakeApiServer.start({ namespace: "ci", tls: server.serving });
  const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-sa-" });
  await Deno.writeTextFile(`${dir}/token`, "first-token\n");
  await Deno.writeTextFile(`${dir}/ca.crt`, server.ca.cert);
  await Deno.writeTextFile(`${dir}/namespace`, "ci\n");
  const env: Record<string, string> = {
    KUBERNETES_SERVICE_HOST: "127.0.0.1",
    KUBERNETES_SERVICE_PORT: String(fake.port),
  };
  try {
    const connection = await loadConnection({}, {
      env: (name) => env[name],
      serviceAccountDir: dir,
    });
    assert.equal(connection.source, "in-cluster service account");
    assert.equal(connection.namespace, "ci");
    assert.equal(connection.server, `https://127.0.0.1:${fake.port}`);
    assert.equal(await connection.authorization(), "Bearer first-token");
    await fake.createPod(kubedockPod("db1", ["db"], ["n1"]));
    await withWatcher(fake, { connection }, async (index) => {
      await eventually(() => hasAlias(index, "n1", "db"), "db1 through the in-cluster connection");
    });
    assert.deepEqual(
      [...fake.authorizations],
      ["Bearer first-token"],
      "the service account token was sent",
    );
    connection.httpClient!.close();
    const none = await loadConnection({}, { env: () => undefined, serviceAccountDir: dir }).catch((
      e,
    ) => e.message);
    assert.match(none, /no Kubernetes API found/);
  } finally {
    await fake.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
