/**
 * The pod contract of docs/pods.md: from a Pod object to what the index needs.
 *
 * @module
 */

import type { V1Pod } from "@kubernetes/client-node";
import { canonicalIp } from "../common/ip.ts";
import type { PodRecord } from "../index/pod_record.ts";
import { nameEncodingProblem } from "../dns/wire/names.ts";

/** Which label and annotation prefixes kubedock writes. */
export interface PodContract {
  label: string;
  hostaliasPrefix: string;
  networkPrefix: string;
  /**
   * Pods of every namespace in one index (`--all-namespaces`): each record carries its namespace
   * and its networks are keyed `<namespace>/<network id>`.
   */
  allNamespaces?: boolean;
}

/**
 * Annotation values under `prefix`, ordered by their numeric suffix (`/0`, `/1`, ...).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { annotationValues } from "./pod_to_record.ts";
 * assert.deepEqual(annotationValues({ "kubedock.network/1": "b", "kubedock.network/0": "a" }, "kubedock.network/"), [
 *   { key: "kubedock.network/0", value: "a" },
 *   { key: "kubedock.network/1", value: "b" },
 * ]);
 * ```
 */
export function annotationValues(
  annotations: Record<string, string> | undefined,
  prefix: string,
): { key: string; value: string }[] {
  return Object.entries(annotations ?? {})
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, value]) => ({ key, value, order: Number(key.slice(prefix.length)) }))
    .sort((a, b) => (a.order - b.order) || (a.key < b.key ? -1 : 1))
    .map(({ key, value }) => ({ key, value }));
}

/**
 * The index's key of a network of `namespace` with `--all-namespaces`: `<namespace>/<id>`
 * (namespace names and docker network ids hold no `/`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { namespacedNetwork } from "./pod_to_record.ts";
 * assert.equal(namespacedNetwork("team-a", "test1"), "team-a/test1");
 * ```
 */
export function namespacedNetwork(namespace: string, network: string): string {
  return `${namespace}/${network}`;
}

/**
 * The index record of a pod, or `undefined` when the pod is not indexed: not opted in, no
 * alias, no network, no IP yet, or finished (Succeeded/Failed pods give their IP back). An alias
 * that cannot be encoded as a DNS name is left out (the others stay) and told to
 * `onInvalidAlias`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { podToRecord } from "./pod_to_record.ts";
 * const record = podToRecord({
 *   metadata: { uid: "u1", name: "db1", labels: { kubedock: "true" }, annotations: { "kubedock.hostalias/0": "db", "kubedock.network/0": "n1" } },
 *   status: { podIP: "127.0.0.2", conditions: [{ type: "Ready", status: "True" }] },
 * }, { label: "kubedock", hostaliasPrefix: "kubedock.hostalias/", networkPrefix: "kubedock.network/" });
 * assert.deepEqual(record, { uid: "u1", name: "db1", ips: ["127.0.0.2"], aliases: ["db"], networks: ["n1"], answerable: true });
 * const across = podToRecord({
 *   metadata: { uid: "u2", name: "db1", namespace: "team-a", labels: { kubedock: "true" }, annotations: { "kubedock.hostalias/0": "db", "kubedock.network/0": "n1" } },
 *   status: { podIP: "127.0.0.3" },
 * }, { label: "kubedock", hostaliasPrefix: "kubedock.hostalias/", networkPrefix: "kubedock.network/", allNamespaces: true });
 * assert.deepEqual([across?.namespace, across?.networks], ["team-a", ["team-a/n1"]]);
 * ```
 */
export function podToRecord(
  pod: V1Pod,
  contract: PodContract,
  onInvalidAlias?: (key: string, value: string, reason: string) => void,
): PodRecord | undefined {
  const metadata = pod.metadata;
  if (!metadata?.uid || metadata.labels?.[contract.label] !== "true") return undefined;
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return undefined;
  const distinct = (
    values: (string | undefined)[],
  ) => [...new Set(values.filter((v): v is string => !!v))];
  const aliases = distinct(
    annotationValues(metadata.annotations, contract.hostaliasPrefix).map(({ key, value }) => {
      const alias = value.trim().toLowerCase();
      const problem = nameEncodingProblem(alias);
      if (!problem) return alias;
      onInvalidAlias?.(key, value, problem);
      return undefined;
    }),
  );
  const networks = distinct(
    annotationValues(metadata.annotations, contract.networkPrefix).map((a) => a.value.trim()),
  );
  const ips = distinct(
    [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)].map((ip) =>
      ip && canonicalIp(ip)
    ),
  );
  if (aliases.length === 0 || networks.length === 0 || ips.length === 0) return undefined;
  const ready = pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ??
    false;
  const answerable = ready && !metadata.deletionTimestamp;
  const name = metadata.name ?? metadata.uid;
  if (!contract.allNamespaces) {
    return { uid: metadata.uid, name, ips, aliases, networks, answerable };
  }
  const namespace = metadata.namespace ?? "";
  return {
    uid: metadata.uid,
    name,
    namespace,
    ips,
    aliases,
    networks: networks.map((network) => namespacedNetwork(namespace, network)),
    answerable,
  };
}
