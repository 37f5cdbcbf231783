/**
 * The stop signals of the process (SIGTERM from kubelet on a rollout, drain or eviction; SIGINT
 * from a person's Ctrl-C) and the lameduck between the first one and the drain.
 *
 * @module
 */

/** The signals that stop the program. */
export const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGTERM", "SIGINT"];

/** Where stop signals come from: the process, or a test's hand. */
export interface SignalSource {
  /** Calls `listener` on every stop signal from now on. */
  listen(listener: (signal: Deno.Signal) => void): void;
}

/** The process's own SIGTERM and SIGINT. */
export const PROCESS_SIGNALS: SignalSource = {
  listen(listener) {
    for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, () => listener(signal));
  },
};

/** How a lameduck ended. */
export type LameduckEnd = "elapsed" | "second signal";

/**
 * Counts stop signals and waits for them: the first starts the stop, a later one cuts the
 * lameduck short.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StopSignals } from "./stop_signals.ts";
 * let send = (_signal: Deno.Signal) => {};
 * const signals = new StopSignals({ listen: (listener) => (send = listener) });
 * const first = signals.first();
 * send("SIGTERM");
 * assert.equal(await first, "SIGTERM");
 * const lameduck = signals.lameduck(60_000);
 * send("SIGINT"); // Ctrl-C again: the rest of the lameduck is skipped
 * assert.equal(await lameduck, "second signal");
 * assert.equal(await signals.lameduck(0), "elapsed");
 * ```
 */
export class StopSignals {
  #count = 0;
  #waiters: ((signal: Deno.Signal) => void)[] = [];
  #first: Deno.Signal | undefined;

  constructor(source: SignalSource = PROCESS_SIGNALS) {
    source.listen((signal) => {
      this.#count++;
      this.#first ??= signal;
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake(signal);
    });
  }

  /** Resolves with the first stop signal (at once when it already came). */
  first(): Promise<Deno.Signal> {
    if (this.#first) return Promise.resolve(this.#first);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Waits `ms` from now (the caller starts it on the first signal), or until one more signal
   * comes; `0` does not wait. A second signal that came before the call (Ctrl-C pressed twice)
   * ends it at once.
   */
  lameduck(ms: number): Promise<LameduckEnd> {
    if (ms <= 0) return Promise.resolve("elapsed");
    if (this.#count > 1) return Promise.resolve("second signal");
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve("elapsed"), ms);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve("second signal");
      });
    });
  }
}
