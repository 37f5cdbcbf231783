/**
 * The webhook end to end: main.ts as a subprocess, the fake API server calling it over TLS as
 * kube-apiserver would, and the real kubectl as the user.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { generateWebhookCertificates, serviceDnsNames } from "../src/webhook/certificates.ts";
import { freePort } from "../src/testing/dnsmasq.ts";
import { Kubectl } from "./helpers/kubectl.ts";
import { mainPermissions, startMain } from "../src/testing/main_process.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";
import {
  bootstrappedWebhookArgs,
  DNS_SERVICE_IP,
  startKubeApiserver,
  WEBHOOK_AUTHORITY,
  webhookConfiguration,
} from "../src/testing/kube_apiserver.ts";

type Json = Record<string, unknown>;

const b64 = (text: string) => btoa(text);

Deno.test("webhook end to end with kubectl", async (t) => {
  const api = await startKubeApiserver();
  const port = freePort();
  api.proxy.register(WEBHOOK_AUTHORITY, { hostname: "127.0.0.1", port });
  const main = await startMain(
    bootstrappedWebhookArgs(api.kubeconfig, port),
    mainPermissions(api.kubeconfig),
  );
  const kubectl = await Kubectl.create(api.fake.kubeconfig());
  const stored = (name: string) => api.fake.store.get("pods", "ci", name) as Json & { spec: Json };
  try {
    await main.waitReady();

    await t.step("an opted-in pod is stored pointing at the DNS Service's ClusterIP", async () => {
      const r = await kubectl.run(
        ["create", "-f", "-"],
        stringify(kubedockPod("db1", ["db"], ["test1"])),
      );
      assert.equal(r.code, 0, r.stderr + main.logs());
      const spec = stored("db1").spec;
      assert.equal(spec.dnsPolicy, "None");
      assert.deepEqual((spec.dnsConfig as Json).nameservers, [DNS_SERVICE_IP]);
      assert.deepEqual((spec.dnsConfig as Json).searches, [
        "ci.svc.cluster.local",
        "svc.cluster.local",
        "cluster.local",
      ]);
    });

    await t.step("the seed's example pods all admit", async () => {
      for (
        const [name, alias, network] of [["db2", "db", "test2"], ["service1", "service", "test1"], [
          "service2",
          "service",
          "test2",
        ]]
      ) {
        const r = await kubectl.run(
          ["create", "-f", "-"],
          stringify(kubedockPod(name, [alias], [network])),
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(stored(name).spec.dnsPolicy, "None");
      }
    });

    await t.step("a pod without the label is left alone", async () => {
      const plain = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "web" },
        spec: { containers: [{ name: "c", image: "nginx:1.27" }] },
      };
      const r = await kubectl.run(["create", "-f", "-"], stringify(plain));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(stored("web").spec.dnsPolicy, undefined);
    });

    await t.step("an invalid alias is refused and kubectl prints our message", async () => {
      const r = await kubectl.run(
        ["create", "-f", "-"],
        stringify(kubedockPod("bad", ["-db"], ["test1"])),
      );
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /kubedock-dns: pod bad: annotation kubedock\.hostalias\/0="-db": hostalias label "-db"/,
      );
      assert.throws(() => stored("bad"));
    });

    await t.step("kubectl annotate --overwrite of a network annotation is refused", async () => {
      const r = await kubectl.run([
        "annotate",
        "pod",
        "db1",
        "--overwrite",
        "kubedock.network/0=test2",
      ]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /kubedock\.network\/0 may not be changed after creation/);
      assert.equal(
        (stored("db1").metadata as Json & { annotations: Json }).annotations["kubedock.network/0"],
        "test1",
      );
    });

    await t.step("relabelling other labels is allowed", async () => {
      const r = await kubectl.run(["label", "pod", "db1", "team=blue"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((stored("db1").metadata as Json & { labels: Json }).labels.team, "blue");
    });
  } finally {
    assert.equal(await main.stop(), 0);
    await kubectl.cleanup();
    await api.stop();
  }
});

Deno.test("certificate bootstrap: two replicas started together agree", async () => {
  const api = await startKubeApiserver();
  const ports = [freePort(), freePort()];
  const mains = await Promise.all(ports.map((port) =>
    startMain(
      bootstrappedWebhookArgs(api.kubeconfig, port),
      mainPermissions(api.kubeconfig),
    )
  ));
  try {
    await Promise.all(mains.map((m) => m.waitReady()));
    const secrets = api.fake.store.list("secrets", "ci", () => true).items;
    assert.equal(secrets.length, 1, "one Secret");
    const ca = (secrets[0].data as Json)["ca.crt"];
    const config = api.fake.store.get("mutatingwebhookconfigurations", undefined, "kubedock-dns");
    assert.equal(
      ((config.webhooks as Json[])[0].clientConfig as Json).caBundle,
      ca,
      "one caBundle: the Secret's CA",
    );
    for (const [i, port] of ports.entries()) {
      api.proxy.register(WEBHOOK_AUTHORITY, { hostname: "127.0.0.1", port });
      const pod = await api.fake.createPod(kubedockPod(`via-replica-${i}`, ["db"], ["n1"]));
      assert.equal(
        (pod.spec as Json).dnsPolicy,
        "None",
        `replica ${i} served a certificate the CA verifies`,
      );
    }
  } finally {
    for (const main of mains) assert.equal(await main.stop(), 0);
    await api.stop();
  }
});

Deno.test("a rotated certificate file is picked up without restart", async () => {
  const first = await generateWebhookCertificates(
    serviceDnsNames("kubedock-dns", "ci", "cluster.local"),
  );
  const second = await generateWebhookCertificates(
    serviceDnsNames("kubedock-dns", "ci", "cluster.local"),
  );
  const api = await startKubeApiserver(b64(first.ca.cert));
  const port = freePort();
  api.proxy.register(WEBHOOK_AUTHORITY, { hostname: "127.0.0.1", port });
  const cert = `${api.dir}/tls.crt`;
  const key = `${api.dir}/tls.key`;
  await Deno.writeTextFile(cert, first.serving.cert);
  await Deno.writeTextFile(key, first.serving.key);
  const main = await startMain(
    [
      "--kubeconfig",
      api.kubeconfig,
      "--webhook-listen",
      `127.0.0.1:${port}`,
      "--upstream",
      "127.0.0.1:9",
      "--log-format",
      "text",
      "--tls-cert",
      cert,
      "--tls-key",
      key,
      "--tls-reload-interval",
      "100ms",
    ],
    mainPermissions(api.kubeconfig, cert, key),
  );
  try {
    await main.waitReady();
    assert.equal(
      ((await api.fake.createPod(kubedockPod("before", ["db"], ["n1"]))).spec as Json).dnsPolicy,
      "None",
    );
    await Deno.writeTextFile(cert, second.serving.cert);
    await Deno.writeTextFile(key, second.serving.key);
    api.fake.store.update(
      "mutatingwebhookconfigurations",
      undefined,
      "kubedock-dns",
      webhookConfiguration(b64(second.ca.cert)),
    );
    await eventually(() => main.logs().includes("webhook certificate reloaded"), "reload logged");
    const after = await api.fake.createPod(kubedockPod("after", ["db"], ["n1"]));
    assert.equal(
      (after.spec as Json).dnsPolicy,
      "None",
      "the new certificate verifies against the new CA",
    );
    api.fake.store.update(
      "mutatingwebhookconfigurations",
      undefined,
      "kubedock-dns",
      webhookConfiguration(b64(first.ca.cert)),
    );
    await assert.rejects(
      () => api.fake.createPod(kubedockPod("old-ca", ["db"], ["n1"])),
      /failed calling webhook/,
      "the old certificate is no longer served",
    );
  } finally {
    assert.equal(await main.stop(), 0);
    await api.stop();
  }
});

Deno.test("/readyz stays 503 until the DNS Service's ClusterIP is known", async () => {
  const api = await startKubeApiserver();
  api.fake.store.delete("services", "ci", "kubedock-dns");
  const port = freePort();
  api.proxy.register(WEBHOOK_AUTHORITY, { hostname: "127.0.0.1", port });
  const main = await startMain(
    bootstrappedWebhookArgs(api.kubeconfig, port),
    mainPermissions(api.kubeconfig),
  );
  try {
    await eventually(
      () => api.fake.store.list("secrets", "ci", () => true).items.length === 1,
      "TLS bootstrapped",
    );
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await main.healthStatus("/readyz"), 503, "no Service yet");
    await assert.rejects(
      () => api.fake.createPod(kubedockPod("early", ["db"], ["n1"])),
      /failed calling webhook/,
    );
    api.fake.store.create("services", "ci", {
      metadata: { name: "kubedock-dns" },
      spec: { clusterIP: DNS_SERVICE_IP },
    });
    await main.waitReady();
    const pod = await api.fake.createPod(kubedockPod("late", ["db"], ["n1"]));
    assert.deepEqual(((pod.spec as Json).dnsConfig as Json).nameservers, [DNS_SERVICE_IP]);
  } finally {
    assert.equal(await main.stop(), 0);
    await api.stop();
  }
});

Deno.test("the webhook keeps admitting during the lameduck", async () => {
  const api = await startKubeApiserver();
  const port = freePort();
  api.proxy.register(WEBHOOK_AUTHORITY, { hostname: "127.0.0.1", port });
  const main = await startMain(
    [...bootstrappedWebhookArgs(api.kubeconfig, port), "--lameduck", "3s"],
    mainPermissions(api.kubeconfig),
  );
  try {
    await main.waitReady();
    const signalledAt = performance.now();
    main.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await main.healthStatus("/readyz"), 503, "not ready at once");
    // kube-apiserver may still call this replica until its endpoint is gone
    for (let i = 0; i < 3; i++) {
      const pod = await api.fake.createPod(kubedockPod(`during${i}`, ["db"], ["n1"]));
      assert.equal((pod.spec as Json).dnsPolicy, "None", "mutated during the lameduck");
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(performance.now() - signalledAt < 3_000, "all within the lameduck");
    const { code } = await main.child.status;
    assert.equal(code, 0);
  } finally {
    await main.stop();
    await api.stop();
  }
});
