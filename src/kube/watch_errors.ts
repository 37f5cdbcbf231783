/**
 * How a watch session ends other than normally, as the pod watcher's loop tells them apart.
 *
 * @module
 */

/**
 * The watch said `410 Gone`: the resourceVersion is too old; relist.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Gone } from "./watch_errors.ts";
 * assert.equal(new Gone().name, "Gone");
 * ```
 */
export class Gone extends Error {
  override name = "Gone";
}

/**
 * A stream that ended at once with nothing in it: backed off like a failure, so it cannot spin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EmptyWatch } from "./watch_errors.ts";
 * assert.match(new EmptyWatch().message, /without an event/);
 * ```
 */
export class EmptyWatch extends Error {
  override name = "EmptyWatch";
  constructor() {
    super("the watch ended at once without an event");
  }
}
