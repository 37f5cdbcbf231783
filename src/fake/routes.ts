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

/**
 * The resources, by plural name (all at version v1): what the program uses, and every kind the
 * install (`manifests/`, each overlay) creates, so that `kubectl apply` of it works.
 */
export const RESOURCES: Record<string, FakeResource> = {
  pods: { kind: "Pod", namespaced: true, group: "" },
  services: { kind: "Service", namespaced: true, group: "" },
  secrets: { kind: "Secret", namespaced: true, group: "" },
  namespaces: { kind: "Namespace", namespaced: false, group: "" },
  serviceaccounts: { kind: "ServiceAccount", namespaced: true, group: "" },
  mutatingwebhookconfigurations: {
    kind: "MutatingWebhookConfiguration",
    namespaced: false,
    group: "admissionregistration.k8s.io",
  },
  deployments: { kind: "Deployment", namespaced: true, group: "apps" },
  poddisruptionbudgets: { kind: "PodDisruptionBudget", namespaced: true, group: "policy" },
  networkpolicies: { kind: "NetworkPolicy", namespaced: true, group: "networking.k8s.io" },
  roles: { kind: "Role", namespaced: true, group: "rbac.authorization.k8s.io" },
  rolebindings: { kind: "RoleBinding", namespaced: true, group: "rbac.authorization.k8s.io" },
  clusterroles: { kind: "ClusterRole", namespaced: false, group: "rbac.authorization.k8s.io" },
  clusterrolebindings: {
    kind: "ClusterRoleBinding",
    namespaced: false,
    group: "rbac.authorization.k8s.io",
  },
  certificates: { kind: "Certificate", namespaced: true, group: "cert-manager.io" },
  issuers: { kind: "Issuer", namespaced: true, group: "cert-manager.io" },
  configmaps: { kind: "ConfigMap", namespaced: true, group: "" },
  servicemonitors: { kind: "ServiceMonitor", namespaced: true, group: "monitoring.coreos.com" },
  prometheusrules: { kind: "PrometheusRule", namespaced: true, group: "monitoring.coreos.com" },
};

const ROUTE =
  /^\/(?:api\/v1|apis\/([a-z0-9.-]+)\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/;

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
 * assert.equal(parseRoute("/api/v1/namespaces/ci/endpoints"), undefined); // not served
 * assert.deepEqual(parseRoute("/api/v1/namespaces/ci"), { plural: "namespaces", name: "ci" });
 * assert.deepEqual(parseRoute("/apis/apps/v1/namespaces/ci/deployments"), { namespace: "ci", plural: "deployments" });
 * assert.equal(parseRoute("/apis/apps/v1/namespaces/ci/pods"), undefined); // pods are core
 * ```
 */
export function parseRoute(pathname: string): Route | undefined {
  const match = ROUTE.exec(pathname);
  const [, group = "", namespace, plural, name] = match ?? [];
  if (!match || RESOURCES[plural]?.group !== group) return undefined;
  if (namespace && !RESOURCES[plural].namespaced) return undefined;
  return {
    plural,
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
  };
}

/**
 * A kubeconfig document for a server at `url`, with `namespace` as the context's; a token unless
 * `options.user` says how to authenticate, and the cluster CA (PEM) when the server is HTTPS.
 * YAML, as kubectl writes it; `options.json` writes JSON (which kubectl reads too, and which
 * kubedock-dns reads without loading its YAML parser, as a replica in a cluster never does).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kubeconfigFor } from "./routes.ts";
 * assert.match(kubeconfigFor("http://127.0.0.1:6443", "ci"), /server: http:\/\/127.0.0.1:6443/);
 * assert.match(kubeconfigFor("https://127.0.0.1:6443", "ci", { caCert: "PEM", user: { tokenFile: "/t" } }), /tokenFile: \/t/);
 * assert.equal(JSON.parse(kubeconfigFor("http://127.0.0.1:6443", "ci", { json: true }))["current-context"], "fake");
 * ```
 */
export function kubeconfigFor(
  url: string,
  namespace: string,
  options: { caCert?: string; user?: Record<string, unknown>; json?: boolean } = {},
): string {
  const ca = options.caCert ? { "certificate-authority-data": btoa(options.caCert) } : {};
  return (options.json ? JSON.stringify : toYaml)({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "fake", cluster: { server: url, ...ca } }],
    users: [{ name: "fake", user: options.user ?? { token: "fake-token" } }],
    contexts: [{ name: "fake", context: { cluster: "fake", user: "fake", namespace } }],
    "current-context": "fake",
  });
}
