/**
 * JSON merge patch (RFC 7386), which the fake API server also applies for strategic merge
 * patches of the fields it stores.
 *
 * @module
 */

/**
 * `target` with `patch` merged in: objects merged key by key, `null` removes, anything else
 * replaces.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergePatch } from "./merge_patch.ts";
 * assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 } }), { a: 1, b: { d: 3, e: 4 } });
 * ```
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    target && typeof target === "object" && !Array.isArray(target)
      ? { ...target as Record<string, unknown> }
      : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}
