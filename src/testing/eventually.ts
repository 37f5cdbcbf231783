/**
 * Waiting for a condition in tests and benchmarks.
 *
 * @module
 */

/**
 * Polls `check` (a condition, or an async one such as a request) every `intervalMs` (10) until it
 * holds or `timeoutMs` passes; throws with `what`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { eventually } from "./eventually.ts";
 * let ready = false;
 * setTimeout(() => ready = true, 30);
 * await eventually(() => ready, "ready");
 * await assert.rejects(eventually(() => false, "never", 50), /timed out waiting for: never/);
 * await eventually(async () => await Promise.resolve(true), "an async check");
 * ```
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
  intervalMs = 10,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
