/**
 * The production permission set (`permissions["kubedock-dns"]` in deno.json) as command-line
 * flags, with the network and file lists narrowed for a run on one machine (tests, benchmarks,
 * the demo). The environment list always stays the production one.
 *
 * @module
 */

const CONFIG = new URL("../deno.json", import.meta.url);

/** The production set as deno.json holds it. */
export interface PermissionSet {
  net: string[];
  read: string[];
  env: string[];
}

/**
 * Reads the production permission set.
 *
 * @example
 * ```ts
 * import { productionPermissions } from "./permission_flags.ts";
 * (await productionPermissions()).env; // ["KUBERNETES_SERVICE_HOST", ...]
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
 * import { localPermissionFlags } from "./permission_flags.ts";
 * await localPermissionFlags({ net: ["127.0.0.0/8", "0.0.0.0"], read: ["/tmp/kubeconfig"] });
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
