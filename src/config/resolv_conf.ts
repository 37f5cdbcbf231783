/**
 * Reading the default upstream DNS server from `/etc/resolv.conf` text.
 *
 * @module
 */

/**
 * Returns the first `nameserver` address of resolv.conf text, or `undefined` when none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstNameserver } from "./resolv_conf.ts";
 * assert.deepEqual(firstNameserver("search svc.cluster.local\nnameserver 10.43.0.10\n"), "10.43.0.10");
 * ```
 */
export function firstNameserver(resolvConf: string): string | undefined {
  for (const line of resolvConf.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === "nameserver" && fields[1]) return fields[1].replace(/%.*$/, "");
  }
  return undefined;
}
