/**
 * Pods as kubedock writes them (docs/pods.md), for tests, benchmarks and the demo.
 *
 * @module
 */

import type { KubeObject } from "./object_store.ts";

/**
 * A kubedock pod: the opt-in label, `kubedock.hostalias/N` and `kubedock.network/N` annotations.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kubedockPod } from "./kubedock_pod.ts";
 * assert.deepEqual(kubedockPod("db1", ["db"], ["test1"]).metadata?.annotations, { "kubedock.hostalias/0": "db", "kubedock.network/0": "test1" });
 * ```
 */
export function kubedockPod(name: string, aliases: string[], networks: string[]): KubeObject {
  const annotations: Record<string, string> = {};
  aliases.forEach((alias, i) => annotations[`kubedock.hostalias/${i}`] = alias);
  networks.forEach((network, i) => annotations[`kubedock.network/${i}`] = network);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { kubedock: "true", "kubedock.id": "3f9c2a1b7e4d" }, annotations },
    spec: { containers: [{ name: "main", image: "postgres:16" }] },
  };
}
