/**
 * `meta.k8s.io/v1` Tables for pods, as kube-apiserver serves them when kubectl asks
 * (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the columns of `kubectl get pods`
 * (and `-o wide`'s IP).
 *
 * @module
 */

import type { KubeObject } from "./object_store.ts";

const COLUMNS = [
  { name: "Name", type: "string", format: "name", description: "Name of the pod", priority: 0 },
  { name: "Ready", type: "string", format: "", description: "Ready containers", priority: 0 },
  { name: "Status", type: "string", format: "", description: "Phase", priority: 0 },
  { name: "Restarts", type: "string", format: "", description: "Container restarts", priority: 0 },
  { name: "Age", type: "string", format: "", description: "Time since creation", priority: 0 },
  { name: "IP", type: "string", format: "", description: "Pod IP", priority: 1 },
];

/** Whether an Accept header asks for a Table. */
export function wantsTable(accept: string | null): boolean {
  return accept !== null && /as=Table/.test(accept);
}

function age(created: string | undefined): string {
  const seconds = created ? Math.max(0, Math.floor((Date.now() - Date.parse(created)) / 1000)) : 0;
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  return `${Math.floor(seconds / 3600)}h`;
}

function row(pod: KubeObject) {
  const status = (pod.status ?? {}) as {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
  };
  const ready = status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
  const containers =
    ((pod.spec as { containers?: unknown[] } | undefined)?.containers ?? []).length || 1;
  return {
    cells: [
      pod.metadata?.name,
      `${ready ? containers : 0}/${containers}`,
      status.phase ?? "Pending",
      "0",
      age(pod.metadata?.creationTimestamp),
      status.podIP ?? "<none>",
    ],
    object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: pod.metadata },
  };
}

/**
 * A Table of `pods`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { podTable } from "./pod_table.ts";
 * assert.deepEqual(podTable([{ metadata: { name: "db1" } }], "101").rows.length, 1);
 * ```
 */
export function podTable(pods: KubeObject[], resourceVersion: string) {
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: COLUMNS,
    rows: pods.map(row),
  };
}
