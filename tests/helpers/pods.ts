/** Pod manifests as kubedock writes them. */
export { kubedockPod } from "../../src/fake/kubedock_pod.ts";

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
