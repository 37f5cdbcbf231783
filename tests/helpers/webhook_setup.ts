/** The fake API server playing kube-apiserver with kubedock-dns's webhook registered. */
import { FakeApiServer } from "../../src/fake/api_server.ts";
import { mutatingAdmission } from "../../src/fake/admission.ts";
import { ServiceProxy } from "../../src/fake/service_proxy.ts";
import { webhookConfiguration as webhookConfigurationIn } from "../../src/fake/webhook_configuration.ts";

/** The webhook configuration for namespace `ci`. */
export const webhookConfiguration = (caBundle?: string) => webhookConfigurationIn("ci", caBundle);

export const DNS_SERVICE_IP = "10.43.0.53";
export const WEBHOOK_AUTHORITY = "kubedock-dns.ci.svc:443";

/** A fake API server in namespace `ci` with the DNS Service, the webhook registered, and a proxy. */
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
