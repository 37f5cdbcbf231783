/**
 * The webhook registration the manifests ship, as an object.
 *
 * @module
 */

/**
 * The MutatingWebhookConfiguration of `manifests/base/40-webhook.yaml` for `namespace`, optionally
 * with a caBundle, as the fake API server's admission needs it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { webhookConfiguration } from "./webhook_configuration.ts";
 * assert.deepEqual(webhookConfiguration("kubedock").webhooks[0].clientConfig.service.namespace, "kubedock");
 * ```
 */
export function webhookConfiguration(namespace: string, caBundle?: string) {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: "kubedock-dns" },
    webhooks: [{
      name: "pods.kubedock-dns.io",
      admissionReviewVersions: ["v1"],
      clientConfig: {
        service: { name: "kubedock-dns", namespace, port: 443, path: "/mutate/pods" },
        ...(caBundle ? { caBundle } : {}),
      },
      rules: [{
        operations: ["CREATE", "UPDATE"],
        apiGroups: [""],
        apiVersions: ["v1"],
        resources: ["pods"],
      }],
      objectSelector: { matchLabels: { kubedock: "true" } },
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
      failurePolicy: "Fail",
      sideEffects: "None",
      timeoutSeconds: 5,
      reinvocationPolicy: "Never",
    }],
  };
}
