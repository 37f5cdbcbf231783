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
 * binary, `start:local`, the tests and benchmarks): a young generation fixed at 1 MB semi-spaces
 * and an old generation that grows by 10% at a time, so that the garbage of a query burst does not
 * grow the heap (V8's defaults: RSS with 10,000 pods and a full cache 285 MB; with these 95.5–97.4 MB
 * in `deno task bench:watch`). They replace `--optimize-for-size`, which fixes the same 1 MB
 * semi-space but made its collections dearer: a forwarded query cost up to a fifth more CPU under
 * it (in two runs of `bench:compare`; level in a third; docs/benchmarks.md).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { V8_FLAGS } from "./permission_flags.ts";
 * assert.match(V8_FLAGS, /^--v8-flags=/);
 * ```
 */
export const V8_FLAGS =
  "--v8-flags=--max-semi-space-size=1,--min-semi-space-size=1,--heap-growing-percent=10";

/**
 * The `--v8-flags=…` argument of a revision's start task (its `deno.json`'s `tasks.start`), or
 * `undefined` when it has none: how `bench:compare` runs an older revision as it ran then.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { v8FlagsOf } from "./permission_flags.ts";
 * const start = "deno run --no-prompt --v8-flags=--optimize-for-size -P=kubedock-dns main.ts";
 * assert.equal(v8FlagsOf(start), "--v8-flags=--optimize-for-size");
 * assert.equal(v8FlagsOf("deno run main.ts"), undefined);
 * ```
 */
export function v8FlagsOf(startTask: string): string | undefined {
  return startTask.split(/\s+/).find((arg) => arg.startsWith("--v8-flags="));
}

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
