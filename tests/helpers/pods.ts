/** Pod manifests as kubedock writes them. */
import type { KubeObject } from "../../src/fake/object_store.ts";

/** A kubedock pod with aliases and networks as annotations. */
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

/** Polls `check` every 10 ms until it holds or `timeoutMs` passes; throws with `what`. */
export async function eventually(
  check: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
