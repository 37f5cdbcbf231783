/**
 * Waiting for a condition in tests and benchmarks.
 *
 * @module
 */

/**
 * Polls `check` every 10 ms until it holds or `timeoutMs` passes; throws with `what`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { eventually } from "./eventually.ts";
 * let ready = false;
 * setTimeout(() => ready = true, 30);
 * await eventually(() => ready, "ready");
 * await assert.rejects(eventually(() => false, "never", 50), /timed out waiting for: never/);
 * ```
 */
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
