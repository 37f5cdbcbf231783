/**
 * ClusterIPs for Services created through the fake API server, as kube-apiserver allocates them.
 *
 * @module
 */

import type { KubeObject } from "./object_store.ts";

/**
 * Gives a Service created without a ClusterIP the `n`th address of 10.43.1.0 and up (an
 * ExternalName Service gets none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allocateClusterIp } from "./cluster_ip.ts";
 * const service = { metadata: { name: "kubedock-dns" } };
 * allocateClusterIp(service, 3);
 * assert.deepEqual(service, { metadata: { name: "kubedock-dns" }, spec: { clusterIP: "10.43.1.3" } });
 * ```
 */
export function allocateClusterIp(service: KubeObject, n: number): void {
  const spec = (service.spec ??= {}) as { clusterIP?: string; type?: string };
  if (spec.clusterIP === undefined && spec.type !== "ExternalName") {
    spec.clusterIP = `10.43.${1 + Math.floor(n / 250)}.${n % 250}`;
  }
}
