/**
 * Reading the default upstream DNS servers from `/etc/resolv.conf` text.
 *
 * @module
 */

/**
 * Returns every `nameserver` address of resolv.conf text, in order (none: an empty list).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nameservers } from "./resolv_conf.ts";
 * assert.deepEqual(
 *   nameservers("search svc.cluster.local\nnameserver 10.43.0.10\nnameserver fe80::1%eth0\n"),
 *   ["10.43.0.10", "fe80::1"],
 * );
 * ```
 */
export function nameservers(resolvConf: string): string[] {
  const found: string[] = [];
  for (const line of resolvConf.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === "nameserver" && fields[1]) found.push(fields[1].replace(/%.*$/, ""));
  }
  return found;
}
