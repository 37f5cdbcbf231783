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
  const groups = [...new Set(Object.values(resources).map((r) => r.group))];
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
        groups: groups.filter(Boolean).map((name) => ({
          name,
          versions: [{ groupVersion: `${name}/v1`, version: "v1" }],
          preferredVersion: { groupVersion: `${name}/v1`, version: "v1" },
        })),
      };
    case "/api/v1":
      return list("");
  }
  const groupPath = (group: string) => group ? `apis/${group}/v1` : "api/v1";
  const apis = /^\/apis\/([a-z0-9.-]+)\/v1$/.exec(path);
  if (apis && groups.includes(apis[1])) return list(apis[1]);
  if (path === "/openapi/v3") {
    return {
      paths: Object.fromEntries(groups.map((group) => [
        groupPath(group),
        { serverRelativeURL: `/openapi/v3/${groupPath(group)}?hash=fake` },
      ])),
    };
  }
  const openapi = groups.find((group) => path === `/openapi/v3/${groupPath(group)}`);
  if (openapi !== undefined) return openApiStub(path.slice("/openapi/v3".length), resources);
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
