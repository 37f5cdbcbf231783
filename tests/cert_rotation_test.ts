/**
 * The bootstrapped certificate renews itself: two replicas with `--cert-lifetime 9s` go through
 * two renewals while the fake API server admits a pod every 100 ms over the real TLS path (its
 * proxy alternating between the replicas, the certificate checked against the caBundle). No
 * admission fails, the caBundle never holds more than two CAs, and both replicas end up serving
 * the newest certificate without a restart (a client trusting only the newest CA reaches both; one
 * trusting only the first CA reaches neither), as their expiry metric says too. And the race that
 * once failed an admission there: a replica that read the Secret just before another renewed it,
 * and patched the caBundle just after, must leave the newer bundle.
 */
import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { FakeApiServer } from "../src/fake/api_server.ts";
import { webhookConfiguration } from "../src/fake/webhook_configuration.ts";
import { KubeApi, type KubeRequest } from "../src/kube/api_client.ts";
import { loadConnection } from "../src/kube/connection.ts";
import { bootstrapTls } from "../src/webhook/bootstrap.ts";
import { decodeBase64 } from "../src/common/base64.ts";
import { freePort } from "../src/testing/dnsmasq.ts";
import { mainPermissions, startMain } from "../src/testing/main_process.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";
import {
  bootstrappedWebhookArgs,
  startKubeApiserver,
  WEBHOOK_AUTHORITY,
} from "../src/testing/kube_apiserver.ts";
import { certificateValidity, pemCertificates } from "../src/webhook/cert_validity.ts";

/** A third of it (3 s) is the time every replica has to serve a renewal before the old CA expires. */
const LIFETIME_S = 9;

Deno.test("the bootstrapped certificate renews itself, admissions never fail", async () => {
  const api = await startKubeApiserver();
  const ports = [freePort(), freePort()];
  const replicas = await Promise.all(ports.map((port) =>
    startMain([
      ...bootstrappedWebhookArgs(api.kubeconfig, port),
      "--cert-lifetime",
      `${LIFETIME_S}s`,
      "--tls-reload-interval",
      "300ms",
    ], mainPermissions(api.kubeconfig))
  ));
  const fake = api.fake;
  const secret = () => {
    const data = (fake.store.get("secrets", "ci", "kubedock-dns-tls") as {
      data: Record<string, string>;
    }).data;
    return {
      cert: decodeBase64(data["tls.crt"]),
      cas: pemCertificates(decodeBase64(data["ca.crt"])),
    };
  };
  const caBundle = () => {
    const config = fake.store.get("mutatingwebhookconfigurations", undefined, "kubedock-dns") as {
      webhooks: { clientConfig: { caBundle?: string } }[];
    };
    return pemCertificates(decodeBase64(config.webhooks[0].clientConfig.caBundle ?? ""));
  };
  /** Whether replica `i` serves a certificate that `ca` (alone) verifies. */
  const trusted = async (i: number, ca: string) => {
    api.proxy.register(WEBHOOK_AUTHORITY, { hostname: "127.0.0.1", port: ports[i] });
    const client = Deno.createHttpClient({ caCerts: [ca], proxy: { url: api.proxy.url } });
    try {
      const response = await fetch(`https://${WEBHOOK_AUTHORITY}/healthz`, { client });
      await response.body?.cancel();
      return true;
    } catch {
      return false;
    } finally {
      client.close();
    }
  };
  try {
    await Promise.all(replicas.map((r) => r.waitReady()));
    const first = secret();
    assert.equal(first.cas.length, 1);
    /** certificate in the Secret → admissions while it was the newest */
    const admittedUnder = new Map([[first.cert, 0]]);
    let mostCas = 0;
    let thirdSeen = Infinity;
    const deadline = Date.now() + (2 * LIFETIME_S + 4) * 1000; // room for two renewals
    // admit until the second renewal, and for 1.5 s after it (the replicas swap meanwhile)
    for (let i = 0; Date.now() < Math.min(deadline, thirdSeen + 1_500); i++) {
      api.proxy.register(WEBHOOK_AUTHORITY, { hostname: "127.0.0.1", port: ports[i % 2] });
      const created = await fake.createPod(kubedockPod(`p${i}`, [`svc${i}`], ["n1"]));
      assert.equal((created.spec as { dnsPolicy?: string }).dnsPolicy, "None", `pod p${i}`);
      mostCas = Math.max(mostCas, caBundle().length);
      const current = secret().cert;
      admittedUnder.set(current, (admittedUnder.get(current) ?? 0) + 1);
      if (admittedUnder.size === 3 && thirdSeen === Infinity) thirdSeen = Date.now();
      fake.deletePod(`p${i}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const counts = [...admittedUnder.values()];
    assert.equal(counts.length, 3, "two renewals within two lifetimes");
    assert.ok(counts.every((n) => n >= 5), `admissions under each certificate: ${counts}`);
    assert.ok(mostCas <= 2, `the caBundle held ${mostCas} CAs`);

    const newest = secret();
    assert.equal(newest.cas.length, 2, "the new CA and the one before it");
    await eventually(
      () => JSON.stringify(caBundle()) === JSON.stringify(newest.cas),
      "the webhook trusts the Secret's CAs",
      3_000,
      50,
    );
    for (const i of [0, 1]) {
      await eventually(
        () => trusted(i, newest.cas[0]),
        `replica ${i} serves the newest`,
        3_000,
        50,
      );
      assert.equal(await trusted(i, first.cas[0]), false, `replica ${i} no longer the first`);
      const metrics = await (await fetch(
        `http://127.0.0.1:${replicas[i].health.port}/metrics`,
      )).text();
      const notAfter = /^kubedock_dns_certificate_not_after_timestamp_seconds (\S+)$/m.exec(
        metrics,
      );
      assert.equal(Number(notAfter?.[1]) * 1000, certificateValidity(newest.cert).notAfter);
    }
    for (const replica of replicas) {
      assert.doesNotMatch(replica.logs(), /not renewed or re-read/);
    }
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await api.stop();
  }
});

Deno.test("a replica that read the Secret before another renewed it leaves the newer caBundle", async () => {
  const fake = FakeApiServer.start({ namespace: "ci" });
  fake.store.create("mutatingwebhookconfigurations", undefined, webhookConfiguration("ci"));
  const api = new KubeApi(await loadConnection({ kubeconfig: await fake.writeKubeconfig() }));
  const options = {
    api,
    secretName: "kubedock-dns-tls",
    webhookConfigName: "kubedock-dns",
    serviceName: "kubedock-dns",
    clusterDomain: "cluster.local",
    lifetimeMs: 365 * 86_400_000,
    log: getLogger(["kubedock-dns", "test"]),
  };
  const caBundle = () => {
    const config = fake.store.get("mutatingwebhookconfigurations", undefined, "kubedock-dns") as {
      webhooks: { clientConfig: { caBundle?: string } }[];
    };
    return pemCertificates(decodeBase64(config.webhooks[0].clientConfig.caBundle ?? ""));
  };
  try {
    // a caBundle that is not even base64 is replaced, as before the rule
    const config = fake.store.get("mutatingwebhookconfigurations", undefined, "kubedock-dns") as {
      webhooks: { clientConfig: { caBundle?: string } }[];
    };
    config.webhooks[0].clientConfig.caBundle = "not base64!";
    fake.store.update("mutatingwebhookconfigurations", undefined, "kubedock-dns", config);
    const first = await bootstrapTls(options);
    assert.deepEqual(caBundle(), pemCertificates(first.caCert));
    const secretPath = "/api/v1/namespaces/ci/secrets/kubedock-dns-tls";
    const stale = await api.json("GET", secretPath);
    await new Promise((r) => setTimeout(r, 1_100)); // certificate times are in whole seconds
    // replica A renews (a third of the lifetime left) and makes the webhook trust the new CA
    const renewed = await bootstrapTls({ ...options, now: () => Date.now() + 300 * 86_400_000 });
    const afterRenewal = caBundle();
    assert.equal(afterRenewal.length, 2);
    assert.notEqual(renewed.cert, first.cert);
    // replica B read the Secret before that and patches after it
    const staleApi = {
      namespace: api.namespace,
      json: (method: string, path: string, request?: KubeRequest) =>
        method === "GET" && path === secretPath
          ? Promise.resolve(structuredClone(stale))
          : api.json(method, path, request),
    } as unknown as KubeApi;
    const served = await bootstrapTls({ ...options, api: staleApi });
    assert.equal(served.cert, first.cert, "B serves what it read, which the old CA still verifies");
    assert.deepEqual(caBundle(), afterRenewal, "the renewed bundle stays trusted");
    // once B reads the Secret again, it serves the new certificate
    assert.equal((await bootstrapTls(options)).cert, renewed.cert);
    assert.deepEqual(caBundle(), afterRenewal);
  } finally {
    await fake.stop();
  }
});
