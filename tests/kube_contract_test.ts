import assert from "node:assert/strict";
import { parseKubeconfig } from "../src/kube/kubeconfig.ts";
import { backoffDelay, sleep } from "../src/common/backoff.ts";
import { loadConnection, rotatingToken } from "../src/kube/connection.ts";
import { annotationValues, podToRecord } from "../src/kube/pod_to_record.ts";

const CONTRACT = {
  label: "kubedock",
  hostaliasPrefix: "kubedock.hostalias/",
  networkPrefix: "kubedock.network/",
};

function pod(over: Record<string, unknown> = {}, annotations?: Record<string, string>) {
  return {
    metadata: {
      uid: "u1",
      name: "db1",
      labels: { kubedock: "true" },
      annotations: annotations ?? {
        "kubedock.hostalias/0": "DB",
        "kubedock.hostalias/1": "postgres",
        "kubedock.network/0": "n1",
      },
    },
    status: {
      phase: "Running",
      podIP: "127.0.0.2",
      podIPs: [{ ip: "127.0.0.2" }, { ip: "FD00::0002" }],
      conditions: [{ type: "Ready", status: "True" }],
    },
    ...over,
  };
}

Deno.test("pod contract", async (t) => {
  await t.step("an opted-in ready pod becomes an answerable record", () => {
    assert.deepEqual(podToRecord(pod(), CONTRACT), {
      uid: "u1",
      name: "db1",
      ips: ["127.0.0.2", "fd00::2"],
      aliases: ["db", "postgres"],
      networks: ["n1"],
      answerable: true,
    });
  });

  await t.step(
    "not indexed: no label, label not true, no alias, no network, no IP, finished",
    () => {
      const p = pod();
      assert.equal(
        podToRecord({ ...p, metadata: { ...p.metadata, labels: {} } }, CONTRACT),
        undefined,
      );
      assert.equal(
        podToRecord({ ...p, metadata: { ...p.metadata, labels: { kubedock: "yes" } } }, CONTRACT),
        undefined,
      );
      assert.equal(podToRecord(pod({}, { "kubedock.network/0": "n1" }), CONTRACT), undefined);
      assert.equal(podToRecord(pod({}, { "kubedock.hostalias/0": "db" }), CONTRACT), undefined);
      assert.equal(podToRecord(pod({ status: { phase: "Pending" } }), CONTRACT), undefined);
      assert.equal(
        podToRecord(pod({ status: { ...p.status, phase: "Succeeded" } }), CONTRACT),
        undefined,
      );
    },
  );

  await t.step("not ready or being deleted: indexed but not answerable", () => {
    const p = pod();
    const notReady = podToRecord(
      pod({ status: { ...p.status, conditions: [{ type: "Ready", status: "False" }] } }),
      CONTRACT,
    );
    assert.equal(notReady?.answerable, false);
    const deleting = podToRecord({
      ...p,
      metadata: { ...p.metadata, deletionTimestamp: new Date() },
    }, CONTRACT);
    assert.equal(deleting?.answerable, false);
  });

  await t.step("annotations are ordered by their number", () => {
    const values = annotationValues(
      { "p/10": "ten", "p/2": "two", "p/0": "zero", "other": "x" },
      "p/",
    ).map((a) => a.value);
    assert.deepEqual(values, ["zero", "two", "ten"]);
  });
});

Deno.test("kubeconfig and connection", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-kubeconfig-" });
  try {
    await t.step(
      "the current context's server, namespace, credentials and file paths",
      async () => {
        const ctx = await parseKubeconfig(
          `
apiVersion: v1
clusters:
- name: a
  cluster: {server: "https://10.0.0.1:6443/", certificate-authority-data: ${btoa("CA PEM")}}
- name: b
  cluster: {server: "http://127.0.0.1:1"}
users:
- name: u
  user: {client-certificate: certs/client.crt, client-key-data: ${btoa("KEY PEM")}, tokenFile: /t}
contexts:
- name: x
  context: {cluster: a, user: u, namespace: ci}
current-context: x
`,
          "/home/me/.kube",
        );
        assert.equal(ctx.server, "https://10.0.0.1:6443");
        assert.equal(ctx.namespace, "ci");
        assert.deepEqual(ctx.certificateAuthority, { data: "CA PEM" });
        assert.deepEqual(ctx.clientCertificate, { file: "/home/me/.kube/certs/client.crt" });
        assert.deepEqual(ctx.clientKey, { data: "KEY PEM" });
        assert.equal(ctx.tokenFile, "/t");
      },
    );

    await t.step("clear errors for unusable kubeconfigs", async () => {
      await assert.rejects(() => parseKubeconfig("a: 1", "/"), /no current-context/);
      await assert.rejects(
        () => parseKubeconfig("current-context: x\ncontexts: []", "/"),
        /context "x" not found/,
      );
      await assert.rejects(
        () =>
          parseKubeconfig(
            "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://h'}}]\nusers: [{name: u, user: {exec: {command: aws}}}]",
            "/",
          ),
        /exec\.apiVersion undefined: want client\.authentication\.k8s\.io\/v1/,
      );
      await assert.rejects(
        () =>
          parseKubeconfig(
            "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: 'https://h'}}]\nusers: [{name: u, user: {auth-provider: {name: gcp}}}]",
            "/",
          ),
        /auth-provider plugin, which Kubernetes removed in 1\.26/,
      );
    });

    await t.step("a token file is re-read after it rotates", async () => {
      await Deno.writeTextFile(`${dir}/token`, "one\n");
      const token = rotatingToken(`${dir}/token`, 50);
      assert.equal(await token(), "one");
      await Deno.writeTextFile(`${dir}/token`, "two\n");
      assert.equal(await token(), "one", "cached within the max age");
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(await token(), "two");
    });

    await t.step("loadConnection from --kubeconfig, namespace flag first", async () => {
      await Deno.writeTextFile(
        `${dir}/config`,
        `current-context: x
contexts: [{name: x, context: {cluster: c, user: u, namespace: from-context}}]
clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]
users: [{name: u, user: {token: abc}}]
`,
      );
      const c = await loadConnection({ kubeconfig: `${dir}/config` });
      assert.equal(c.namespace, "from-context");
      assert.equal(c.server, "http://127.0.0.1:9");
      assert.equal(await c.authorization(), "Bearer abc");
      const flagged = await loadConnection({ kubeconfig: `${dir}/config`, namespace: "ci" });
      assert.equal(flagged.namespace, "ci");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("back-off: capped, jittered, and an abortable sleep", async () => {
  for (let i = 0; i < 50; i++) {
    const first = backoffDelay(1, 250, 10_000);
    assert.ok(first >= 125 && first <= 250, `first retry ${first}`);
    const late = backoffDelay(30, 250, 10_000);
    assert.ok(late >= 5_000 && late <= 10_000, `capped retry ${late}`);
  }
  const stop = new AbortController();
  const started = performance.now();
  const waiting = sleep(10_000, stop.signal);
  stop.abort();
  await waiting;
  assert.ok(performance.now() - started < 1_000, "abort ends the sleep at once");
  await sleep(10_000, stop.signal); // already aborted: returns at once, no timer left behind
});
