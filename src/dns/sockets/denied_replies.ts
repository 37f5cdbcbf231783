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
 * denied.sendRefused(new Deno.errors.NotCapable('Requires net access to "198.51.100.4:5353"'));
 * assert.equal(denied.count, 2);
 * assert.deepEqual(told, ["203.0.113.9", "198.51.100.4"]);
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

  /**
   * As {@linkcode DeniedReplies.sendFailed}, the address read from the refusal itself: the UDP
   * loop hands every reply's send this one function, not a closure per reply.
   */
  readonly sendRefused = (error: unknown): void => {
    if (error instanceof Deno.errors.NotCapable) this.sendFailed(refusedHost(error.message), error);
  };
}

/**
 * The host a refusal of Deno's `net` permission names (`Requires net access to "HOST:PORT", ...`),
 * without port or brackets; `"an address outside the set"` if the message names none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refusedHost } from "./denied_replies.ts";
 * assert.equal(refusedHost('Requires net access to "127.0.0.5:5353", run again with the --allow-net flag'), "127.0.0.5");
 * assert.equal(refusedHost('Requires net access to "[fd00::5]:53", run again with the --allow-net flag'), "fd00::5");
 * assert.equal(refusedHost("Requires net access"), "an address outside the set");
 * ```
 */
export function refusedHost(message: string): string {
  const quoted = /"([^"]+)"/.exec(message)?.[1];
  if (!quoted) return "an address outside the set";
  const host = quoted.replace(/:\d+$/, "");
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
