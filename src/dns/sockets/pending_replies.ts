/**
 * A count of replies still being worked out or sent, so a graceful drain can wait for them
 * without keeping a set of promises (one counter for the whole server, nothing per query).
 *
 * @module
 */

/**
 * Replies under way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PendingReplies } from "./pending_replies.ts";
 * const pending = new PendingReplies();
 * pending.started();
 * const idle = pending.idle();
 * pending.finished();
 * await idle; // resolves once none is under way
 * assert.equal(pending.count, 0);
 * ```
 */
export class PendingReplies {
  #count = 0;
  #waiters: (() => void)[] = [];

  /** Replies under way now. */
  get count(): number {
    return this.#count;
  }

  /** One more reply is being worked out. */
  started(): void {
    this.#count++;
  }

  /** A reply was sent (or given up). */
  readonly finished = (): void => {
    if (--this.#count > 0) return;
    this.#count = 0;
    const waiters = this.#waiters;
    this.#waiters = [];
    waiters.forEach((wake) => wake());
  };

  /** Resolves when no reply is under way. */
  idle(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
