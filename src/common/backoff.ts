/**
 * Waiting between retries: an abortable sleep, capped exponential back-off with jitter, and one
 * retry loop (the Service lookup, the webhook's certificate loading and the pod watcher use it).
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";

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

/** What {@linkcode retry} needs. */
export interface RetryOptions<T> {
  /** What is attempted, for the log line of each failure (read at each failure). */
  what: string | (() => string);
  /** Ends the retries: `retry` then resolves `undefined`. */
  signal: AbortSignal;
  /**
   * One try. A long-running attempt calls `progressed` when it gets somewhere (a list applied, a
   * watch event), so its later failure backs off from the start instead of from where the failures
   * before that progress had left it.
   */
  attempt: (progressed: () => void) => Promise<T>;
  log: Logger;
  /** The first back-off; it doubles (with jitter) up to `maxMs`. */
  initialMs: number;
  maxMs: number;
  /** Told of each failure, and how many in a row it makes, before the back-off. */
  onFailure?: (error: unknown, failuresInARow: number) => void;
}

/**
 * Runs `attempt` until it succeeds, backing off (jittered, doubling) between failures and logging
 * each one; `undefined` when `signal` aborts first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getLogger } from "@logtape/logtape";
 * import { retry } from "./backoff.ts";
 * let calls = 0;
 * const value = await retry({
 *   what: "counting",
 *   signal: new AbortController().signal,
 *   attempt: () => ++calls < 3 ? Promise.reject(new Error("not yet")) : Promise.resolve(calls),
 *   log: getLogger(["x"]),
 *   initialMs: 1,
 *   maxMs: 4,
 * });
 * assert.equal(value, 3);
 * // an attempt that made progress before failing starts the back-off again
 * const inARow: number[] = [];
 * let tries = 0;
 * await retry({
 *   what: "watching",
 *   signal: new AbortController().signal,
 *   attempt: (progressed) => {
 *     if (++tries === 3) progressed();
 *     return tries < 4 ? Promise.reject(new Error("cut")) : Promise.resolve();
 *   },
 *   log: getLogger(["x"]),
 *   initialMs: 1,
 *   maxMs: 1_000,
 *   onFailure: (_error, failures) => inARow.push(failures),
 * });
 * assert.deepEqual(inARow, [1, 2, 1]); // the third try had progressed before it failed
 * ```
 */
export async function retry<T>(options: RetryOptions<T>): Promise<T | undefined> {
  const { what, signal, attempt, log } = options;
  let failures = 0;
  const progressed = () => void (failures = 0);
  while (!signal.aborted) {
    try {
      return await attempt(progressed);
    } catch (error) {
      if (signal.aborted) break;
      options.onFailure?.(error, ++failures);
      const delayMs = backoffDelay(failures, options.initialMs, options.maxMs);
      log.warn("{what} failed ({error}); retrying in {delayMs} ms", {
        what: typeof what === "function" ? what() : what,
        error: error instanceof Error ? error.message : String(error),
        delayMs,
      });
      await sleep(delayMs, signal);
    }
  }
  return undefined;
}
