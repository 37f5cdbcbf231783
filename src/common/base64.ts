/**
 * Base64 of UTF-8 text, as Kubernetes carries PEM data, caBundles and JSON patches.
 *
 * @module
 */

/**
 * The base64 of `text`'s UTF-8 bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeBase64 } from "./base64.ts";
 * assert.equal(encodeBase64("ü"), "w7w=");
 * assert.equal(encodeBase64("db"), "ZGI=");
 * ```
 */
export function encodeBase64(text: string): string {
  // ASCII text is its own UTF-8 and Latin-1: btoa takes it as it is (JSON patches, PEM)
  if (ASCII.test(text)) return btoa(text);
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

// deno-lint-ignore no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/**
 * The UTF-8 text whose base64 is `encoded`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeBase64 } from "./base64.ts";
 * assert.equal(decodeBase64("w7w="), "ü");
 * ```
 */
export function decodeBase64(encoded: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)));
}
