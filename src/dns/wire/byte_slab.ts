/**
 * Cheap byte buffers for messages that live briefly: views cut from a shared 16 KiB slab instead
 * of a fresh `ArrayBuffer` each. In Deno a new `Uint8Array(40)` (or `.slice()`) costs about 1 µs,
 * a view on an existing buffer about 25 ns (`deno task bench:profile`, docs/benchmarks.md), and
 * each query used two. Memory is never reused: a full slab is left to the garbage collector, which
 * frees it once no view of it is left, so a view is as safe as its own buffer. The price is that
 * a long-lived view keeps its whole slab alive; whatever lives long (held queries, cache entries)
 * therefore copies its bytes into a buffer of its own.
 *
 * @module
 */

const SLAB_SIZE = 16 * 1024;
/** Larger requests get their own buffer: they would waste most of a slab. */
const LARGEST_VIEW = 2 * 1024;

let slab = new ArrayBuffer(SLAB_SIZE);
let used = 0;

/**
 * `length` zeroed bytes, cut from the current slab (or a buffer of their own when large).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allocateBytes } from "./byte_slab.ts";
 * const a = allocateBytes(40);
 * const b = allocateBytes(40);
 * a.fill(7);
 * assert.equal(a.length, 40);
 * assert.deepEqual([...b], new Array(40).fill(0)); // views never overlap, and start zeroed
 * ```
 */
export function allocateBytes(length: number): Uint8Array {
  if (length > LARGEST_VIEW) return new Uint8Array(length);
  if (used + length > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    used = 0;
  }
  const view = new Uint8Array(slab, used, length);
  used += (length + 7) & ~7; // 8-byte aligned: DataViews and typed views stay cheap
  return view;
}

/**
 * A copy of `bytes` in slab memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyBytes } from "./byte_slab.ts";
 * const original = new Uint8Array([1, 2, 3]);
 * const copy = copyBytes(original);
 * original[0] = 9;
 * assert.deepEqual([...copy], [1, 2, 3]);
 * ```
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const copy = allocateBytes(bytes.length);
  copy.set(bytes);
  return copy;
}
