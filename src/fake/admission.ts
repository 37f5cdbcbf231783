/**
 * The fake API server's admission chain, as kube-apiserver runs it for pods: every webhook of
 * every stored MutatingWebhookConfiguration whose rules, objectSelector and namespaceSelector
 * match is called over TLS (verified against its `caBundle`, reached by Service name through a
 * {@linkcode ServiceProxy}), within `timeoutSeconds`; `failurePolicy` decides what a failed call
 * means; a denial rejects the request with the webhook's message; a JSONPatch is applied.
 *
 * @module
 */

import jsonPatch from "fast-json-patch";
import { decodeBase64 } from "../common/base64.ts";
import { ApiError, type KubeObject, type ObjectStore } from "./object_store.ts";
import type { ServiceProxy } from "./service_proxy.ts";

/** Hook called on pod CREATE and UPDATE before storing, as admission webhooks are. */
export type AdmissionHook = (
  operation: "CREATE" | "UPDATE",
  object: KubeObject,
  oldObject: KubeObject | undefined,
  namespace: string,
) => Promise<KubeObject>;

interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

interface Webhook {
  name: string;
  clientConfig: {
    url?: string;
    caBundle?: string;
    service?: { name: string; namespace: string; port?: number; path?: string };
  };
  rules?: { operations?: string[]; apiGroups?: string[]; resources?: string[] }[];
  objectSelector?: LabelSelectorSpec;
  namespaceSelector?: LabelSelectorSpec;
  failurePolicy?: "Fail" | "Ignore";
  timeoutSeconds?: number;
}

/**
 * Whether `labels` match a metav1.LabelSelector (an empty selector matches everything).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchesSelector } from "./admission.ts";
 * assert.deepEqual(matchesSelector({ matchLabels: { kubedock: "true" } }, { kubedock: "true" }), true);
 * assert.deepEqual(matchesSelector({ matchExpressions: [{ key: "team", operator: "Exists" }] }, {}), false);
 * ```
 */
export function matchesSelector(
  selector: LabelSelectorSpec | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = key in labels;
    const ok = operator === "In"
      ? has && values.includes(labels[key])
      : operator === "NotIn"
      ? !has || !values.includes(labels[key])
      : operator === "Exists"
      ? has
      : operator === "DoesNotExist"
      ? !has
      : false;
    if (!ok) return false;
  }
  return true;
}

function ruleMatches(webhook: Webhook, operation: string): boolean {
  return (webhook.rules ?? []).some((rule) =>
    (rule.operations ?? []).some((o) => o === operation || o === "*") &&
    (rule.apiGroups ?? [""]).some((g) => g === "" || g === "*") &&
    (rule.resources ?? []).some((r) => r === "pods" || r === "*")
  );
}

function webhookUrl(webhook: Webhook): string {
  if (webhook.clientConfig.url) return webhook.clientConfig.url;
  const service = webhook.clientConfig.service;
  if (!service) throw new Error("clientConfig has neither url nor service");
  return `https://${service.name}.${service.namespace}.svc:${service.port ?? 443}${
    service.path ?? "/"
  }`;
}

async function callWebhook(
  webhook: Webhook,
  review: unknown,
  proxy: ServiceProxy,
): Promise<Record<string, unknown>> {
  const caBundle = webhook.clientConfig.caBundle;
  const client = Deno.createHttpClient({
    caCerts: caBundle ? [decodeBase64(caBundle)] : undefined,
    proxy: { url: proxy.url },
  });
  try {
    const response = await fetch(webhookUrl(webhook), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(review),
      client,
      signal: AbortSignal.timeout((webhook.timeoutSeconds ?? 10) * 1000),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
    const body = JSON.parse(text);
    if (!body?.response) throw new Error("the reply has no response");
    return body.response;
  } finally {
    client.close();
  }
}

/**
 * A namespace's labels as a namespaceSelector sees them: the stored Namespace object's, and
 * `kubernetes.io/metadata.name`, which the API server sets on every namespace.
 */
function namespaceLabels(store: ObjectStore, namespace: string): Record<string, string> {
  let labels: Record<string, string> = {};
  try {
    labels = store.get("namespaces", undefined, namespace).metadata?.labels ?? {};
  } catch { /* no Namespace object stored: only the automatic label */ }
  return { ...labels, "kubernetes.io/metadata.name": namespace };
}

/**
 * The admission hook for {@linkcode FakeApiServer}'s `admission` property.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeApiServer } from "./api_server.ts";
 * import { ServiceProxy } from "./service_proxy.ts";
 * import { mutatingAdmission } from "./admission.ts";
 * import { kubedockPod } from "./kubedock_pod.ts";
 * const api = FakeApiServer.start();
 * const proxy = ServiceProxy.start();
 * api.admission = mutatingAdmission(api.store, proxy);
 * const created = await api.createPod(kubedockPod("db1", ["db"], ["n1"])); // no webhook registered: admitted as is
 * assert.equal(created.metadata?.name, "db1");
 * await proxy.stop();
 * await api.stop();
 * ```
 */
export function mutatingAdmission(store: ObjectStore, proxy: ServiceProxy): AdmissionHook {
  return async (operation, object, oldObject, namespace) => {
    let current: KubeObject = { ...object, metadata: { ...object.metadata, namespace } };
    const configs = store.list("mutatingwebhookconfigurations", undefined, () => true).items;
    for (const config of configs) {
      for (const webhook of (config.webhooks ?? []) as Webhook[]) {
        if (!ruleMatches(webhook, operation)) continue;
        const objectMatches = [current, oldObject].some((o) =>
          o && matchesSelector(webhook.objectSelector, o.metadata?.labels ?? {})
        );
        if (!objectMatches) continue;
        if (!matchesSelector(webhook.namespaceSelector, namespaceLabels(store, namespace))) {
          continue;
        }
        const review = {
          apiVersion: "admission.k8s.io/v1",
          kind: "AdmissionReview",
          request: {
            uid: crypto.randomUUID(),
            kind: { group: "", version: "v1", kind: "Pod" },
            resource: { group: "", version: "v1", resource: "pods" },
            requestKind: { group: "", version: "v1", kind: "Pod" },
            requestResource: { group: "", version: "v1", resource: "pods" },
            name: current.metadata?.name,
            namespace,
            operation,
            userInfo: { username: "fake-user" },
            object: current,
            oldObject: oldObject ?? null,
            dryRun: false,
          },
        };
        let response: Record<string, unknown>;
        try {
          response = await callWebhook(webhook, review, proxy);
          if (response.uid !== review.request.uid) {
            throw new Error("response.uid does not match request.uid");
          }
        } catch (error) {
          if (webhook.failurePolicy === "Ignore") continue;
          throw new ApiError(
            500,
            "InternalError",
            `Internal error occurred: failed calling webhook "${webhook.name}": ${
              (error as Error).message
            }${(error as Error).cause ? ` (${(error as Error).cause})` : ""}`,
          );
        }
        if (response.allowed !== true) {
          const status = (response.status ?? {}) as {
            code?: number;
            reason?: string;
            message?: string;
          };
          const code = status.code ?? 403;
          throw new ApiError(
            code,
            status.reason ?? (code === 400 ? "BadRequest" : "Forbidden"),
            `admission webhook "${webhook.name}" denied the request: ${
              status.message ?? "no reason given"
            }`,
          );
        }
        if (typeof response.patch === "string") {
          const patch = JSON.parse(decodeBase64(response.patch));
          current = jsonPatch.applyPatch(structuredClone(current), patch, true, false).newDocument;
        }
      }
    }
    return current;
  };
}
