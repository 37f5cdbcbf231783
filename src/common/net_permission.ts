/**
 * What Deno's `net` permission lets the program reach: whether a reply to an address can be sent,
 * and whether sends are unrestricted (the build for IPv6 pod networks).
 *
 * @module
 */

/** The permission descriptor host of an IP address (IPv6 in brackets, as Deno wants it). */
function hostOf(ip: string): string {
  return ip.includes(":") && !ip.startsWith("[") ? `[${ip}]` : ip;
}

/**
 * Whether the `net` permission lets the program send to `ip` (any port).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canReach } from "./net_permission.ts";
 * assert.equal(canReach("127.0.0.1"), true); // doc tests run with loopback allowed
 * assert.equal(canReach("203.0.113.9"), false);
 * ```
 */
export function canReach(ip: string): boolean {
  return Deno.permissions.querySync({ name: "net", host: hostOf(ip) }).state === "granted";
}

/**
 * Whether the `net` permission names no list at all (every address, perhaps less a deny list).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { netUnrestricted } from "./net_permission.ts";
 * assert.equal(netUnrestricted(), false); // doc tests run with a list
 * ```
 */
export function netUnrestricted(): boolean {
  return Deno.permissions.querySync({ name: "net" }).state === "granted";
}

/**
 * Why replies to this replica's own pod IP (`POD_IP`, from the downward API) would be refused, or
 * `undefined` when they would not (or no pod IP is known, as outside a cluster). A replica on a
 * pod network the set does not name cannot answer its peers' pods either: it must not be ready.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { podIpOutsideSet } from "./net_permission.ts";
 * assert.equal(podIpOutsideSet("127.0.0.9"), undefined);
 * assert.equal(podIpOutsideSet(undefined), undefined);
 * assert.match(podIpOutsideSet("203.0.113.9")!, /pod IP 203\.0\.113\.9 is outside/);
 * ```
 */
export function podIpOutsideSet(podIp: string | undefined): string | undefined {
  if (!podIp || canReach(podIp)) return undefined;
  return `pod IP ${podIp} is outside the net permission set: replies to this pod network ` +
    `would be refused. ${WIDEN_HINT}`;
}

/** How an operator widens the set: one sentence, in every message about a refusal. */
export const WIDEN_HINT = "Name the range in the image's POD_NETWORKS " +
  "(docker build --build-arg POD_NETWORKS=..., or deno task deploy --pod-networks ...; " +
  "docs/operating.md, 'Pod networks')";
