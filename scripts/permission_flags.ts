/**
 * The production permission set (`permissions["kubedock-dns"]` in deno.json) as command-line
 * flags, with the network and file lists narrowed for a run on one machine (tests, benchmarks,
 * the demo). The environment list always stays the production one.
 *
 * @module
 */

import type { NetPermission } from "./pod_networks.ts";

const CONFIG = new URL("../deno.json", import.meta.url);

/**
 * The V8 flags kubedock-dns runs with everywhere (`deno task start`, the Dockerfile's compiled
 * binary, `start:local`, the tests and benchmarks): `--optimize-for-size` keeps V8 from letting the
 * garbage of a query burst grow the heap (RSS with 10,000 pods and a full cache 285 → 113 MB in
 * `deno task bench:watch`, no throughput change seen in `bench:dns`; docs/benchmarks.md).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { V8_FLAGS } from "./permission_flags.ts";
 * assert.match(V8_FLAGS, /^--v8-flags=/);
 * ```
 */
export const V8_FLAGS = "--v8-flags=--optimize-for-size";

/** The production set as deno.json holds it. */
export interface PermissionSet {
  /** A list, or (a build for IPv6 pod networks) everything but a deny list. */
  net: NetPermission;
  read: string[];
  env: string[];
}

/**
 * Reads the production permission set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { productionPermissions } from "./permission_flags.ts";
 * assert.ok((await productionPermissions()).env.includes("KUBERNETES_SERVICE_HOST"));
 * ```
 */
export async function productionPermissions(): Promise<PermissionSet> {
  const config = JSON.parse(await Deno.readTextFile(CONFIG));
  return config.permissions["kubedock-dns"];
}

/**
 * `--allow-*` flags: the production environment list, and `net`/`read` as given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localPermissionFlags } from "./permission_flags.ts";
 * const flags = await localPermissionFlags({ net: ["127.0.0.0/8", "0.0.0.0"], read: ["/tmp/kubeconfig"] });
 * assert.deepEqual(flags.slice(0, 2), ["--allow-net=127.0.0.0/8,0.0.0.0", "--allow-read=/tmp/kubeconfig,/etc/resolv.conf"]);
 * ```
 */
export async function localPermissionFlags(
  lists: { net: string[]; read: string[] },
): Promise<string[]> {
  const { env } = await productionPermissions();
  return [
    `--allow-net=${lists.net.join(",")}`,
    `--allow-read=${[...lists.read, "/etc/resolv.conf"].join(",")}`,
    `--allow-env=${env.join(",")}`,
  ];
}
