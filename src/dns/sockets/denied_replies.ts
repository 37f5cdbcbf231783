/**
 * Replies that Deno's `net` permission refused to send: the reply's address is outside the
 * permission set (a pod network the set does not name). Each is counted and told to the owner;
 * other send failures (the client went away) stay quiet.
 *
 * @module
 */

/** Told of every refused reply, with the address it was meant for. */
export type DeniedReplyListener = (address: string) => void;

/**
 * The count of refused replies, and the send-failure handler that keeps it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DeniedReplies } from "./denied_replies.ts";
 * const told: string[] = [];
 * const denied = new DeniedReplies();
 * denied.listener = (address) => told.push(address);
 * denied.sendFailed("203.0.113.9", new Deno.errors.NotCapable("Requires net access"));
 * denied.sendFailed("127.0.0.5", new Deno.errors.ConnectionReset("gone")); // not a refusal
 * assert.equal(denied.count, 1);
 * assert.deepEqual(told, ["203.0.113.9"]);
 * ```
 */
export class DeniedReplies {
  /** Replies refused so far (`kubedock_dns_replies_denied_total`). */
  count = 0;
  /** Told of each refusal (the program logs it, rate-limited). */
  listener: DeniedReplyListener | undefined;

  /** A send to `address` failed with `error`: a permission refusal is counted and told. */
  sendFailed(address: string, error: unknown): void {
    if (!(error instanceof Deno.errors.NotCapable)) return;
    this.count++;
    this.listener?.(address);
  }
}
