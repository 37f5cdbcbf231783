/**
 * The fake API server playing kube-apiserver in namespace `ci`, with kubedock-dns's Service and
 * webhook registered, for the tests and benchmarks that run the webhook.
 *
 * @module
 */
import { FakeApiServer } from "../fake/api_server.ts";
import { mutatingAdmission } from "../fake/admission.ts";
import { ServiceProxy } from "../fake/service_proxy.ts";
import { webhookConfiguration as webhookConfigurationIn } from "../fake/webhook_configuration.ts";

/**
 * The webhook configuration for namespace `ci`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { webhookConfiguration } from "./kube_apiserver.ts";
 * assert.equal(webhookConfiguration().kind, "MutatingWebhookConfiguration");
 * ```
 */
export const webhookConfiguration = (caBundle?: string) => webhookConfigurationIn("ci", caBundle);

/** The ClusterIP of the `kubedock-dns` Service in the fake. */
export const DNS_SERVICE_IP = "10.43.0.53";
/** Where the fake's admission calls the webhook (mapped to a loopback port by its proxy). */
export const WEBHOOK_AUTHORITY = "kubedock-dns.ci.svc:443";

/**
 * A fake API server in namespace `ci` with the DNS Service, the webhook registered, and a proxy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DNS_SERVICE_IP, startKubeApiserver } from "./kube_apiserver.ts";
 * const api = await startKubeApiserver();
 * const service = api.fake.store.get("services", "ci", "kubedock-dns") as { spec: { clusterIP: string } };
 * assert.equal(service.spec.clusterIP, DNS_SERVICE_IP);
 * assert.match(await Deno.readTextFile(api.kubeconfig), /namespace: ci/);
 * await api.stop();
 * ```
 */
export async function startKubeApiserver(caBundle?: string) {
  const fake = FakeApiServer.start({ namespace: "ci" });
  const proxy = ServiceProxy.start();
  fake.admission = mutatingAdmission(fake.store, proxy);
  fake.store.create("services", "ci", {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kubedock-dns" },
    spec: { clusterIP: DNS_SERVICE_IP, ports: [{ name: "dns", port: 53, protocol: "UDP" }] },
  });
  fake.store.create("mutatingwebhookconfigurations", undefined, webhookConfiguration(caBundle));
  const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-webhook-" });
  await Deno.writeTextFile(`${dir}/kubeconfig`, fake.kubeconfig());
  return {
    fake,
    proxy,
    dir,
    kubeconfig: `${dir}/kubeconfig`,
    async stop() {
      await fake.stop();
      await proxy.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * kubedock-dns flags for a webhook replica on `port`: the kubeconfig, the upstream, and the
 * certificate bootstrapped into the Secret `kubedock-dns-tls`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bootstrappedWebhookArgs } from "./kube_apiserver.ts";
 * const args = bootstrappedWebhookArgs("/tmp/kubeconfig", 8443);
 * assert.deepEqual(args.slice(-4), ["--tls-secret", "kubedock-dns-tls", "--webhook-config", "kubedock-dns"]);
 * ```
 */
export function bootstrappedWebhookArgs(
  kubeconfig: string,
  port: number,
  upstreamPort = 9,
): string[] {
  return [
    "--kubeconfig",
    kubeconfig,
    "--upstream",
    `127.0.0.1:${upstreamPort}`,
    "--webhook-listen",
    `127.0.0.1:${port}`,
    "--tls-secret",
    "kubedock-dns-tls",
    "--webhook-config",
    "kubedock-dns",
  ];
}
