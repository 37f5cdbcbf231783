/**
 * The admission decision as a pure function: an `admission.k8s.io/v1` AdmissionReview in, the
 * HTTP status and body out (docs/webhook.md). The HTTP layer only decodes, calls and encodes.
 *
 * @module
 */

import { encodeBase64 } from "../common/base64.ts";
import { annotationValues } from "../kube/pod_to_record.ts";
import { aliasProblem, networkProblem } from "./validation.ts";

/** What the decision needs to know. */
export interface ReviewSettings {
  label: string;
  hostaliasPrefix: string;
  networkPrefix: string;
  clusterDomain: string;
  /** Namespace used when the request names none. */
  namespace: string;
  /** ClusterIP of the DNS Service. */
  dnsServiceIp: string;
  ndots: number;
  timeout: number;
  attempts: number;
}

/** The HTTP answer to one review. */
export interface ReviewResult {
  status: number;
  body: unknown;
  /** For the log line: what was decided and why. */
  summary: { pod: string; operation: string; allowed: boolean; reason: string };
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function badRequest(error: string): ReviewResult {
  return {
    status: 400,
    body: { error },
    summary: { pod: "", operation: "", allowed: false, reason: error },
  };
}

function podName(pod: Json): string {
  const metadata = isObject(pod.metadata) ? pod.metadata : {};
  if (typeof metadata.name === "string" && metadata.name) return metadata.name;
  if (typeof metadata.generateName === "string") return `${metadata.generateName}*`;
  return "(unnamed)";
}

function optedIn(pod: unknown, label: string): boolean {
  if (!isObject(pod) || !isObject(pod.metadata) || !isObject(pod.metadata.labels)) return false;
  return pod.metadata.labels[label] === "true";
}

/** The contract annotations of a pod (those under either prefix), or a problem. */
function contractAnnotations(
  pod: Json,
  settings: ReviewSettings,
): { annotations: Record<string, string> } | { problem: string } {
  const metadata = isObject(pod.metadata) ? pod.metadata : {};
  const raw = metadata.annotations ?? {};
  if (!isObject(raw)) return { problem: "metadata.annotations is not a map" };
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith(settings.hostaliasPrefix) && !key.startsWith(settings.networkPrefix)) {
      continue;
    }
    if (typeof value !== "string") return { problem: `annotation ${key} is not a string` };
    annotations[key] = value;
  }
  return { annotations };
}

/** Why the contract annotations are invalid, or undefined. */
function contractProblem(
  annotations: Record<string, string>,
  settings: ReviewSettings,
): string | undefined {
  const aliases = annotationValues(annotations, settings.hostaliasPrefix);
  const networks = annotationValues(annotations, settings.networkPrefix);
  if (aliases.length === 0) {
    return `no ${settings.hostaliasPrefix}N annotation: at least one hostalias is required`;
  }
  if (networks.length === 0) {
    return `no ${settings.networkPrefix}N annotation: at least one network is required`;
  }
  for (const { key, value } of aliases) {
    const problem = aliasProblem(value);
    if (problem) return `annotation ${key}=${JSON.stringify(value)}: hostalias ${problem}`;
  }
  for (const { key, value } of networks) {
    const problem = networkProblem(value);
    if (problem) return `annotation ${key}=${JSON.stringify(value)}: network id ${problem}`;
  }
  return undefined;
}

/**
 * The JSONPatch that points a pod at kubedock-dns. `add` replaces an existing member (RFC 6902
 * 4.1), so the patch applies to pods with or without `dnsPolicy`/`dnsConfig`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dnsPatch } from "./review.ts";
 * const patch = dnsPatch({ spec: {} }, "ci", { dnsServiceIp: "10.43.0.53", clusterDomain: "cluster.local", ndots: 5, timeout: 30, attempts: 2 });
 * assert.deepEqual(patch[0], { op: "add", path: "/spec/dnsPolicy", value: "None" });
 * assert.deepEqual((patch[1].value as { nameservers: string[] }).nameservers, ["10.43.0.53"]);
 * ```
 */
export function dnsPatch(
  pod: Json,
  namespace: string,
  settings: Pick<
    ReviewSettings,
    "dnsServiceIp" | "clusterDomain" | "ndots" | "timeout" | "attempts"
  >,
): Json[] {
  const cd = settings.clusterDomain;
  const dnsConfig = {
    nameservers: [settings.dnsServiceIp],
    searches: [`${namespace}.svc.${cd}`, `svc.${cd}`, cd],
    options: [
      { name: "ndots", value: String(settings.ndots) },
      { name: "timeout", value: String(settings.timeout) },
      { name: "attempts", value: String(settings.attempts) },
    ],
  };
  if (!isObject(pod.spec)) {
    return [{ op: "add", path: "/spec", value: { dnsPolicy: "None", dnsConfig } }];
  }
  return [
    { op: "add", path: "/spec/dnsPolicy", value: "None" },
    { op: "add", path: "/spec/dnsConfig", value: dnsConfig },
  ];
}

function response(uid: string, fields: Json): Json {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    response: { uid, ...fields },
  };
}

/**
 * Decides one AdmissionReview. Malformed input gives HTTP 400 with `{ error }`; every review
 * gets HTTP 200 with `response.uid = request.uid`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reviewPod } from "./review.ts";
 * const result = reviewPod({
 *   apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview",
 *   request: { uid: "1", kind: { group: "", version: "v1", kind: "Pod" }, operation: "CREATE", namespace: "ci", object: { metadata: { name: "web" }, spec: {} } },
 * }, { label: "kubedock", hostaliasPrefix: "kubedock.hostalias/", networkPrefix: "kubedock.network/", clusterDomain: "cluster.local", namespace: "ci", dnsServiceIp: "10.43.0.53", ndots: 5, timeout: 30, attempts: 2 });
 * assert.deepEqual(result.status, 200); // allowed without a patch: the pod is not opted in
 * ```
 */
export function reviewPod(review: unknown, settings: ReviewSettings): ReviewResult {
  if (!isObject(review)) return badRequest("the body is not a JSON object");
  if (review.kind !== "AdmissionReview") {
    return badRequest(`kind ${JSON.stringify(review.kind)} is not AdmissionReview`);
  }
  if (review.apiVersion !== "admission.k8s.io/v1") {
    return badRequest(`apiVersion ${JSON.stringify(review.apiVersion)} is not admission.k8s.io/v1`);
  }
  const request = review.request;
  if (!isObject(request)) return badRequest("request is missing");
  if (typeof request.uid !== "string" || !request.uid) return badRequest("request.uid is missing");
  const kind = isObject(request.kind) ? request.kind : {};
  if (kind.kind !== "Pod" || (kind.group ?? "") !== "" || kind.version !== "v1") {
    return badRequest(`request.kind ${JSON.stringify(request.kind)} is not v1 Pod`);
  }
  const operation = String(request.operation ?? "");
  const object = request.object;
  const oldObject = request.oldObject;
  const uid = request.uid;
  const subject = isObject(object) ? object : isObject(oldObject) ? oldObject : {};
  const pod = podName(subject);
  const allow = (reason: string, patch?: Json[]): ReviewResult => ({
    status: 200,
    body: response(uid, {
      allowed: true,
      ...(patch ? { patchType: "JSONPatch", patch: encodeBase64(JSON.stringify(patch)) } : {}),
    }),
    summary: { pod, operation, allowed: true, reason },
  });
  const deny = (code: number, message: string): ReviewResult => ({
    status: 200,
    body: response(uid, {
      allowed: false,
      status: { code, reason: code === 403 ? "Forbidden" : "BadRequest", message },
    }),
    summary: { pod, operation, allowed: false, reason: message },
  });

  if (operation === "CREATE") {
    if (!isObject(object)) return badRequest("request.object is missing");
    if (!optedIn(object, settings.label)) return allow("not opted in");
    const found = contractAnnotations(object, settings);
    const problem = "problem" in found
      ? found.problem
      : contractProblem(found.annotations, settings);
    if (problem) return deny(400, `kubedock-dns: pod ${pod}: ${problem}`);
    const namespace = typeof request.namespace === "string" && request.namespace
      ? request.namespace
      : settings.namespace;
    return allow("opted in: DNS set", dnsPatch(object, namespace, settings));
  }
  if (operation === "UPDATE") {
    if (!isObject(object) || !isObject(oldObject)) {
      return badRequest("request.object or request.oldObject is missing");
    }
    if (!optedIn(object, settings.label) && !optedIn(oldObject, settings.label)) {
      return allow("not opted in");
    }
    const before = contractAnnotations(oldObject, settings);
    const after = contractAnnotations(object, settings);
    if ("problem" in after) return deny(400, `kubedock-dns: pod ${pod}: ${after.problem}`);
    const old = "problem" in before ? {} : before.annotations;
    const keys = new Set([...Object.keys(old), ...Object.keys(after.annotations)]);
    for (const key of [...keys].sort()) {
      if (old[key] === after.annotations[key]) continue;
      const change = !(key in old) ? "added" : !(key in after.annotations) ? "removed" : "changed";
      return deny(
        403,
        `kubedock-dns: pod ${pod}: annotation ${key} may not be ${change} after creation (network membership is fixed)`,
      );
    }
    return allow("network annotations unchanged");
  }
  return allow(`operation ${operation} not checked`);
}
