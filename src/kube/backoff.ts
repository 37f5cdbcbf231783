/**
 * Waiting between retries: an abortable sleep and capped exponential back-off with jitter,
 * shared by the pod watcher, the Service lookup and the webhook's certificate loading.
 *
 * @module
 */

/**
 * Waits `ms`, or less when `signal` aborts; never rejects and leaves no listener behind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sleep } from "./backoff.ts";
 * const stop = new AbortController();
 * const started = performance.now();
 * setTimeout(() => stop.abort(), 10);
 * await sleep(60_000, stop.signal); // ends early when aborted
 * assert.ok(performance.now() - started < 1_000);
 * ```
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * The delay before retry number `failures` (1 for the first): `initialMs` doubling up to `maxMs`,
 * then a random point in its upper half, so replicas do not retry in step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffDelay } from "./backoff.ts";
 * const first = backoffDelay(1, 250, 10_000);
 * assert.ok(first >= 125 && first <= 250);
 * const later = backoffDelay(10, 250, 10_000);
 * assert.ok(later >= 5_000 && later <= 10_000);
 * ```
 */
export function backoffDelay(failures: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(failures, 1) - 1, 20));
  return Math.round(ceiling / 2 + Math.random() * ceiling / 2);
}
