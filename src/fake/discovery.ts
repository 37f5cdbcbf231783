/**
 * The discovery documents kubectl asks for before any real request (`/version`, `/api`,
 * `/apis`, resource lists), in the legacy forms kubectl accepts.
 *
 * @module
 */

const VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];

/**
 * The document for a discovery path; `null` for a known-absent path (404), `undefined` when the
 * path is not a discovery path at all.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { discoveryDocument } from "./discovery.ts";
 * assert.equal((discoveryDocument("/api", {}) as { kind: string }).kind, "APIVersions");
 * ```
 */
export function discoveryDocument(
  path: string,
  resources: Record<string, { kind: string; namespaced: boolean; group: string }>,
): unknown | null | undefined {
  const list = (group: string) => ({
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/v1` : "v1",
    resources: Object.entries(resources)
      .filter(([, r]) => r.group === group)
      .map(([name, r]) => ({
        name,
        singularName: r.kind.toLowerCase(),
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: VERBS,
      })),
  });
  switch (path) {
    case "/version":
      return {
        major: "1",
        minor: "32",
        gitVersion: "v1.32.0-kubedock-dns-fake",
        platform: "linux/amd64",
      };
    case "/api":
      return {
        kind: "APIVersions",
        versions: ["v1"],
        serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: "127.0.0.1" }],
      };
    case "/apis":
      return {
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: [{
          name: "admissionregistration.k8s.io",
          versions: [{ groupVersion: "admissionregistration.k8s.io/v1", version: "v1" }],
          preferredVersion: { groupVersion: "admissionregistration.k8s.io/v1", version: "v1" },
        }],
      };
    case "/api/v1":
      return list("");
    case "/apis/admissionregistration.k8s.io/v1":
      return list("admissionregistration.k8s.io");
  }
  if (path === "/openapi/v3") {
    return {
      paths: {
        "api/v1": { serverRelativeURL: "/openapi/v3/api/v1?hash=fake" },
        "apis/admissionregistration.k8s.io/v1": {
          serverRelativeURL: "/openapi/v3/apis/admissionregistration.k8s.io/v1?hash=fake",
        },
      },
    };
  }
  if (
    path === "/openapi/v3/api/v1" || path === "/openapi/v3/apis/admissionregistration.k8s.io/v1"
  ) {
    return openApiStub(path.slice("/openapi/v3".length), resources);
  }
  if (path.startsWith("/openapi/")) return null;
  return undefined;
}

/**
 * A minimal OpenAPI v3 document: it tells kubectl that writes take `fieldValidation`, so kubectl
 * leaves validation to the server (which accepts what it stores) instead of downloading schemas.
 */
function openApiStub(
  prefix: string,
  resources: Record<string, { kind: string; namespaced: boolean; group: string }>,
): unknown {
  const group = prefix.startsWith("/apis/") ? prefix.split("/")[2] : "";
  const fieldValidation = { name: "fieldValidation", in: "query", schema: { type: "string" } };
  const paths: Record<string, unknown> = {};
  for (const [plural, r] of Object.entries(resources)) {
    if (r.group !== group) continue;
    const operation = {
      parameters: [fieldValidation],
      responses: { "200": { description: "OK" } },
      "x-kubernetes-group-version-kind": { group, version: "v1", kind: r.kind },
    };
    const base = r.namespaced
      ? `${prefix}/namespaces/{namespace}/${plural}`
      : `${prefix}/${plural}`;
    paths[base] = { post: operation };
    paths[`${base}/{name}`] = { put: operation, patch: operation };
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: "v1.32.0" },
    paths,
    components: { schemas: {} },
  };
}
