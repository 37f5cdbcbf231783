/**
 * The product's version: `--version`, `kubedock_dns_build_info`, the image tag the manifests name
 * and the names of the release files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VERSION } from "./version.ts";
 * assert.match(VERSION, /^\d+\.\d+\.\d+$/);
 * ```
 *
 * @module
 */
export const VERSION = "0.1.0";
