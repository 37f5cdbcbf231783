/**
 * `deno task release`: one install file per way to install, for a release page or `kubectl apply
 * -f`: `dist/kubedock-dns-<version>.yaml` (the base) and `dist/kubedock-dns-<version>-<overlay>.yaml`
 * for each overlay of `manifests/overlays`, each rendered by `kubectl kustomize`.
 *
 * @module
 */

import { VERSION } from "../src/config/version.ts";
import { installs, renderInstall, toYamlStream } from "./manifests.ts";

/**
 * The file name of an install's rendering.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { releaseFileName } from "./release.ts";
 * assert.equal(releaseFileName("base", "0.1.0"), "kubedock-dns-0.1.0.yaml");
 * assert.equal(releaseFileName("cert-manager", "0.1.0"), "kubedock-dns-0.1.0-cert-manager.yaml");
 * ```
 */
export function releaseFileName(install: string, version: string): string {
  return install === "base"
    ? `kubedock-dns-${version}.yaml`
    : `kubedock-dns-${version}-${install}.yaml`;
}

if (import.meta.main) {
  const out = new URL("../dist", import.meta.url).pathname;
  try {
    await Deno.mkdir(out, { recursive: true });
    for (const install of await installs()) {
      const file = `${out}/${releaseFileName(install.name, VERSION)}`;
      const docs = await renderInstall(install.dir);
      await Deno.writeTextFile(
        file,
        `# kubedock-dns ${VERSION}, ${
          install.name === "base" ? "the base" : `overlay ${install.name}`
        }: kubectl apply -f ${file.slice(out.length + 1)}\n` +
          toYamlStream(docs),
      );
      console.log(`${file} (${docs.length} objects)`);
    }
  } catch (error) {
    console.error(`release: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
