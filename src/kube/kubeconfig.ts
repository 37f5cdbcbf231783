/**
 * Reading a kubeconfig file's current context: server, namespace, and credentials. Only the
 * fields this program uses. An exec credential plugin is read here and run by the connection
 * (`deno task start:local` allows exactly its command); the auth-provider plugins, removed in
 * Kubernetes 1.26, are refused with one line.
 *
 * @module
 */

import { decodeBase64 } from "../common/base64.ts";
import { type ExecConfig, parseExecConfig } from "./exec_credential.ts";

/** What the current context of a kubeconfig says, file references still unresolved. */
export interface KubeconfigContext {
  server: string;
  namespace?: string;
  certificateAuthority?: { data?: string; file?: string };
  clientCertificate?: { data?: string; file?: string };
  clientKey?: { data?: string; file?: string };
  token?: string;
  tokenFile?: string;
  /** An exec credential plugin that prints the token. */
  exec?: ExecConfig;
  insecureSkipTlsVerify: boolean;
}

interface Named<T> {
  name: string;
  [key: string]: T | string;
}

function find<T>(list: unknown, name: string, field: string): T | undefined {
  if (!Array.isArray(list)) return undefined;
  const entry = (list as Named<T>[]).find((item) => item?.name === name);
  return entry?.[field] as T | undefined;
}

function pathOrData(data: unknown, file: unknown, baseDir: string) {
  if (typeof data === "string" && data) return { data: decodeBase64(data) };
  if (typeof file === "string" && file) {
    return { file: file.startsWith("/") ? file : `${baseDir}/${file}` };
  }
  return undefined;
}

/**
 * A kubeconfig's text as a document: JSON (which kubectl also reads) directly, anything else
 * through the YAML parser, imported only then: it adds about 5 MB to the process, and a replica in
 * a cluster reads its service account, never a kubeconfig.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kubeconfigDocument } from "./kubeconfig.ts";
 * assert.deepEqual(await kubeconfigDocument('{"current-context": "x"}'), { "current-context": "x" });
 * assert.deepEqual(await kubeconfigDocument("current-context: x"), { "current-context": "x" });
 * ```
 */
export async function kubeconfigDocument(text: string): Promise<unknown> {
  if (text.trimStart().startsWith("{")) {
    try {
      return JSON.parse(text);
    } catch { /* YAML's flow style starts with "{" too */ }
  }
  const { parse } = await import("yaml");
  return parse(text);
}

/**
 * Parses a kubeconfig (YAML or JSON) and picks its current context. Relative file paths are taken from
 * `baseDir` (the kubeconfig's folder). Throws an Error with a clear message when the document
 * has no usable current context.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseKubeconfig } from "./kubeconfig.ts";
 * const text = `
 * clusters: [{name: c, cluster: {server: "http://127.0.0.1:6443"}}]
 * users: [{name: u, user: {token: t0k}}]
 * contexts: [{name: x, context: {cluster: c, user: u, namespace: ci}}]
 * current-context: x
 * `;
 * assert.deepEqual((await parseKubeconfig(text, "/home/me/.kube")).namespace, "ci");
 * ```
 */
export async function parseKubeconfig(
  text: string,
  baseDir: string,
): Promise<KubeconfigContext> {
  const doc = await kubeconfigDocument(text) as Record<string, unknown> | null;
  if (!doc || typeof doc !== "object") throw new Error("kubeconfig is empty or not YAML");
  const contextName = doc["current-context"];
  if (typeof contextName !== "string" || !contextName) {
    throw new Error("kubeconfig has no current-context");
  }
  const context = find<Record<string, string>>(doc.contexts, contextName, "context");
  if (!context) throw new Error(`kubeconfig context ${JSON.stringify(contextName)} not found`);
  const cluster = find<Record<string, unknown>>(doc.clusters, context.cluster, "cluster");
  if (!cluster || typeof cluster.server !== "string") {
    throw new Error(
      `kubeconfig cluster ${JSON.stringify(context.cluster)} not found or has no server`,
    );
  }
  const user = find<Record<string, unknown>>(doc.users, context.user, "user") ?? {};
  if (user["auth-provider"]) {
    throw new Error(
      `kubeconfig user ${
        JSON.stringify(context.user)
      } uses an auth-provider plugin, which Kubernetes removed in 1.26: use the provider's exec plugin (gke-gcloud-auth-plugin, kubelogin, aws eks get-token), a token or a client certificate`,
    );
  }
  return {
    server: cluster.server.replace(/\/+$/, ""),
    namespace: context.namespace || undefined,
    certificateAuthority: pathOrData(
      cluster["certificate-authority-data"],
      cluster["certificate-authority"],
      baseDir,
    ),
    clientCertificate: pathOrData(
      user["client-certificate-data"],
      user["client-certificate"],
      baseDir,
    ),
    clientKey: pathOrData(user["client-key-data"], user["client-key"], baseDir),
    token: typeof user.token === "string" ? user.token : undefined,
    tokenFile: typeof user.tokenFile === "string" ? user.tokenFile : undefined,
    exec: user.exec && typeof user.exec === "object"
      ? parseExecConfig(user.exec as Record<string, unknown>, baseDir)
      : undefined,
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
  };
}
