/**
 * The install as kustomize renders it: the base (`manifests/base`, namespace `kubedock`), and each
 * overlay of `manifests/overlays`, through `kubectl kustomize` (kustomize is built into kubectl).
 * `inNamespace` moves a rendered install to another namespace for `deno task deploy --namespace`.
 *
 * @module
 */

import { parseAllDocuments, stringify } from "yaml";

/** The namespace the base is written for. */
export const MANIFEST_NAMESPACE = "kubedock";

/** The folder of the manifests. */
export const MANIFESTS_DIR = new URL("../manifests", import.meta.url).pathname;

// deno-lint-ignore no-explicit-any
export type Manifest = Record<string, any>;

/** One way to install: the base, or an overlay of it. */
export interface Install {
  /** `base`, or the overlay's folder name. */
  name: string;
  /** The kustomization's folder. */
  dir: string;
}

/**
 * The base and every overlay, the base first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { installs } from "./manifests.ts";
 * const names = (await installs()).map((install) => install.name);
 * assert.equal(names[0], "base");
 * assert.ok(names.includes("cert-manager"));
 * ```
 */
export async function installs(root: string = MANIFESTS_DIR): Promise<Install[]> {
  const overlays: Install[] = [];
  for await (const entry of Deno.readDir(`${root}/overlays`)) {
    if (entry.isDirectory) {
      overlays.push({ name: entry.name, dir: `${root}/overlays/${entry.name}` });
    }
  }
  overlays.sort((a, b) => a.name.localeCompare(b.name));
  return [{ name: "base", dir: `${root}/base` }, ...overlays];
}

/** The documents of a multi-document YAML stream (empty ones left out). */
export function parseYamlStream(text: string): Manifest[] {
  return parseAllDocuments(text).map((doc) => doc.toJS()).filter(Boolean);
}

/**
 * `kubectl kustomize DIR`: the install's documents. Throws with kubectl's message when it fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MANIFESTS_DIR, renderInstall } from "./manifests.ts";
 * const docs = await renderInstall(`${MANIFESTS_DIR}/base`);
 * assert.ok(docs.some((doc) => doc.kind === "Deployment" && doc.metadata.namespace === "kubedock"));
 * ```
 */
export async function renderInstall(dir: string): Promise<Manifest[]> {
  const { code, stdout, stderr } = await new Deno.Command("kubectl", {
    args: ["kustomize", dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`kubectl kustomize ${dir} failed: ${new TextDecoder().decode(stderr).trim()}`);
  }
  return parseYamlStream(new TextDecoder().decode(stdout));
}

/**
 * The base's manifests for `namespace` (`deno task deploy --namespace`): metadata.namespace, the
 * Namespace object, binding subjects, the webhook's Service reference and namespaceSelector. A
 * test checks that this agrees with the kustomize overlay `manifests/overlays/namespace`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inNamespace } from "./manifests.ts";
 * assert.deepEqual(inNamespace([{ kind: "Namespace", metadata: { name: "kubedock" } }], "ci")[0].metadata.name, "ci");
 * ```
 */
export function inNamespace(docs: Manifest[], namespace: string): Manifest[] {
  return docs.map((original) => {
    const doc = structuredClone(original);
    if (doc.kind === "Namespace") doc.metadata.name = namespace;
    if (doc.metadata?.namespace) doc.metadata.namespace = namespace;
    for (const subject of doc.subjects ?? []) if (subject.namespace) subject.namespace = namespace;
    for (const webhook of doc.webhooks ?? []) {
      if (webhook.clientConfig?.service) webhook.clientConfig.service.namespace = namespace;
      const labels = webhook.namespaceSelector?.matchLabels;
      if (labels?.["kubernetes.io/metadata.name"]) {
        labels["kubernetes.io/metadata.name"] = namespace;
      }
    }
    return doc;
  });
}

/** Documents as one multi-document YAML stream. */
export function toYamlStream(docs: Manifest[]): string {
  return docs.map((doc) => stringify(doc)).join("---\n");
}
