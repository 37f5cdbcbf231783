/**
 * The error of a bad command line.
 *
 * @module
 */

/**
 * A bad command line; `message` is the one line to print.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./config.ts";
 * import { ConfigError } from "./config_error.ts";
 * assert.throws(() => parseConfig(["--ttl", "soon"]), (error) => {
 *   assert.ok(error instanceof ConfigError);
 *   assert.equal(error.message, 'invalid value "soon" for --ttl: want a whole number from 0 to 2147483647');
 *   return true;
 * });
 * ```
 */
export class ConfigError extends Error {
  override name = "ConfigError";
}
