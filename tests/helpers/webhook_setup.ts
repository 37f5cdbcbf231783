/** The fake API server playing kube-apiserver with kubedock-dns's webhook registered. */
import { FakeApiServer } from "../../src/fake/api_server.ts";
import { mutatingAdmission } from "../../src/fake/admission.ts";
import { ServiceProxy } from "../../src/fake/service_proxy.ts";

export const DNS_SERVICE_IP = "10.43.0.53";
export const WEBHOOK_AUTHORITY = "kubedock-dns.ci.svc:443";

/** The MutatingWebhookConfiguration as the manifests will ship it. */
export function webhookConfiguration(caBundle?: string) {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: "kubedock-dns" },
    webhooks: [{
      name: "pods.kubedock-dns.io",
      admissionReviewVersions: ["v1"],
      clientConfig: {
        service: { name: "kubedock-dns", namespace: "ci", port: 443, path: "/mutate/pods" },
        ...(caBundle ? { caBundle } : {}),
      },
      rules: [{
        operations: ["CREATE", "UPDATE"],
        apiGroups: [""],
        apiVersions: ["v1"],
        resources: ["pods"],
      }],
      objectSelector: { matchLabels: { kubedock: "true" } },
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ci" } },
      failurePolicy: "Fail",
      sideEffects: "None",
      timeoutSeconds: 5,
      reinvocationPolicy: "Never",
    }],
  };
}

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
