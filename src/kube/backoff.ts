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
 * import { sleep } from "./backoff.ts";
 * await sleep(10, new AbortController().signal);
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
 * import { backoffDelay } from "./backoff.ts";
 * backoffDelay(1, 250, 10_000); // 125..250
 * backoffDelay(10, 250, 10_000); // 5000..10000
 * ```
 */
export function backoffDelay(failures: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(failures, 1) - 1, 20));
  return Math.round(ceiling / 2 + Math.random() * ceiling / 2);
}
