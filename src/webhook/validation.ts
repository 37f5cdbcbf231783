/**
 * Syntax of the pod contract's annotation values (docs/webhook.md).
 *
 * @module
 */

const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/**
 * Why `alias` is not a valid hostalias, or `undefined` when it is: 1–253 characters, dot-separated
 * labels of 1–63 letters, digits, `-` and `_`, not starting or ending with `-`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { aliasProblem } from "./validation.ts";
 * assert.deepEqual(aliasProblem("frikandel.nl"), undefined);
 * assert.deepEqual(aliasProblem("-db"), "label \"-db\" must be 1-63 letters, digits, '-' or '_', not starting or ending with '-'");
 * ```
 */
export function aliasProblem(alias: string): string | undefined {
  if (alias.length === 0) return "must not be empty";
  if (alias.length > 253) return `is ${alias.length} characters long; at most 253 are allowed`;
  for (const label of alias.split(".")) {
    if (!LABEL.test(label)) {
      return `label ${
        JSON.stringify(label)
      } must be 1-63 letters, digits, '-' or '_', not starting or ending with '-'`;
    }
  }
  return undefined;
}

/**
 * Why `id` is not a valid network id, or `undefined` when it is: 1–253 printable characters,
 * no whitespace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { networkProblem } from "./validation.ts";
 * assert.deepEqual(networkProblem("5d2c7a"), undefined);
 * assert.deepEqual(networkProblem("a b"), "must be printable characters without whitespace");
 * ```
 */
export function networkProblem(id: string): string | undefined {
  if (id.length === 0) return "must not be empty";
  if (id.length > 253) return `is ${id.length} characters long; at most 253 are allowed`;
  if (!/^[\x21-\x7e]+$/.test(id)) return "must be printable characters without whitespace";
  return undefined;
}
