/**
 * What the fake API server serves, and how a client finds it: the resources and their paths, and
 * a kubeconfig pointing at the server.
 *
 * @module
 */

import { stringify as toYaml } from "yaml";

/** A resource the fake serves. */
export interface FakeResource {
  kind: string;
  namespaced: boolean;
  group: string;
}

/** The resources, by plural name. */
export const RESOURCES: Record<string, FakeResource> = {
  pods: { kind: "Pod", namespaced: true, group: "" },
  services: { kind: "Service", namespaced: true, group: "" },
  secrets: { kind: "Secret", namespaced: true, group: "" },
  mutatingwebhookconfigurations: {
    kind: "MutatingWebhookConfiguration",
    namespaced: false,
    group: "admissionregistration.k8s.io",
  },
};

const ROUTE =
  /^\/(?:api\/v1|apis\/admissionregistration\.k8s\.io\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/;

/** A request path that names a resource: its namespace (if any), plural and object name. */
export interface Route {
  namespace?: string;
  plural: string;
  name?: string;
}

/**
 * The resource a request path names, or `undefined` when it names none the fake serves.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRoute } from "./routes.ts";
 * assert.deepEqual(parseRoute("/api/v1/namespaces/ci/pods/db1"), { namespace: "ci", plural: "pods", name: "db1" });
 * assert.equal(parseRoute("/api/v1/namespaces/ci/configmaps"), undefined);
 * ```
 */
export function parseRoute(pathname: string): Route | undefined {
  const match = ROUTE.exec(pathname);
  if (!match || !RESOURCES[match[2]]) return undefined;
  return {
    plural: match[2],
    ...(match[1] ? { namespace: match[1] } : {}),
    ...(match[3] ? { name: match[3] } : {}),
  };
}

/**
 * A kubeconfig document for a server at `url`, with a token and `namespace` as the context's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kubeconfigFor } from "./routes.ts";
 * assert.match(kubeconfigFor("http://127.0.0.1:6443", "ci"), /server: http:\/\/127.0.0.1:6443/);
 * ```
 */
export function kubeconfigFor(url: string, namespace: string): string {
  return toYaml({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "fake", cluster: { server: url } }],
    users: [{ name: "fake", user: { token: "fake-token" } }],
    contexts: [{ name: "fake", context: { cluster: "fake", user: "fake", namespace } }],
    "current-context": "fake",
  });
}
