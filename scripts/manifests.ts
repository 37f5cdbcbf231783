/**
 * Reading `manifests/` and moving it to another namespace (the name `kubedock` is written in every
 * place that needs it; this rewrites exactly those places).
 *
 * @module
 */

import { parseAllDocuments, stringify } from "yaml";

/** The namespace the manifests are written for. */
export const MANIFEST_NAMESPACE = "kubedock";

// deno-lint-ignore no-explicit-any
export type Manifest = Record<string, any>;

/** Every document of every `*.yaml` file in `dir`, in file order. */
export async function readManifests(dir: string): Promise<{ file: string; doc: Manifest }[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".yaml")) files.push(entry.name);
  }
  const out: { file: string; doc: Manifest }[] = [];
  for (const file of files.sort()) {
    for (const doc of parseAllDocuments(await Deno.readTextFile(`${dir}/${file}`))) {
      const value = doc.toJS();
      if (value) out.push({ file, doc: value });
    }
  }
  return out;
}

/**
 * The manifests for `namespace`: metadata.namespace, the Namespace object, binding subjects, the
 * webhook's Service reference and namespaceSelector.
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
