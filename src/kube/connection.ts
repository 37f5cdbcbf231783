/**
 * How to reach the Kubernetes API: found in the order of docs/flags.md (`--kubeconfig`,
 * `$KUBECONFIG`, in-cluster service account, `~/.kube/config`), with the namespace resolved and
 * a bearer token re-read as it rotates.
 *
 * @module
 */

import { ExecCredentialSource } from "./exec_credential.ts";
import { parseKubeconfig } from "./kubeconfig.ts";

/** Where the in-cluster service account is mounted. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** A way to reach the API server. */
export interface KubeConnection {
  /** Base URL without a trailing slash. */
  server: string;
  namespace: string;
  /** What the connection was found from, for logs. */
  source: string;
  /** The Authorization header value for the next request, if any. */
  authorization(): Promise<string | undefined>;
  /**
   * The server answered 401: forget the credential, so the next `authorization()` gets a new one
   * (an exec plugin runs again). Absent when a credential cannot be renewed.
   */
  unauthorized?(): void;
  /** TLS client carrying the cluster CA and client certificate, when needed. */
  httpClient?: Deno.HttpClient;
}

/** The inputs of {@linkcode loadConnection}. */
export interface ConnectionOptions {
  /** `--kubeconfig` */
  kubeconfig?: string;
  /** `--namespace` */
  namespace?: string;
}

/** Where the environment comes from; tests give their own. */
export interface Environment {
  /** An environment variable, `undefined` when unset or not permitted. */
  env(name: string): string | undefined;
  /** The service account folder (the kubelet mounts it). */
  serviceAccountDir: string;
}

/**
 * Reads an environment variable only when permitted; an unpermitted one counts as unset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { permittedEnv } from "./connection.ts";
 * assert.deepEqual(permittedEnv("KUBECONFIG"), undefined); // unless set and --allow-env=KUBECONFIG
 * ```
 */
export function permittedEnv(name: string): string | undefined {
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
    return undefined;
  }
  return Deno.env.get(name) || undefined;
}

/**
 * A token read from a file, re-read at most every `maxAgeMs` (kubelet rotates it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rotatingToken } from "./connection.ts";
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "first\n");
 * const token = rotatingToken(file, 0); // re-read every time (kubelet rotates it)
 * assert.equal(await token(), "first");
 * await Deno.writeTextFile(file, "second\n");
 * assert.equal(await token(), "second");
 * await Deno.remove(file);
 * ```
 */
export function rotatingToken(path: string, maxAgeMs = 60_000): () => Promise<string> {
  let token = "";
  let readAt = -Infinity;
  return async () => {
    if (performance.now() - readAt > maxAgeMs) {
      token = (await Deno.readTextFile(path)).trim();
      readAt = performance.now();
    }
    return token;
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function inCluster(
  options: ConnectionOptions,
  { env, serviceAccountDir: dir }: Environment,
): Promise<KubeConnection | undefined> {
  const host = env("KUBERNETES_SERVICE_HOST");
  const port = env("KUBERNETES_SERVICE_PORT") ?? "443";
  if (!host || !(await exists(`${dir}/token`))) return undefined;
  const ca = await Deno.readTextFile(`${dir}/ca.crt`);
  const namespace = options.namespace ?? (await Deno.readTextFile(`${dir}/namespace`)).trim();
  const token = rotatingToken(`${dir}/token`);
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return {
    server: `https://${hostPart}:${port}`,
    namespace,
    source: "in-cluster service account",
    authorization: async () => `Bearer ${await token()}`,
    httpClient: Deno.createHttpClient({ caCerts: [ca] }),
  };
}

/** What to do when the permission set may not read a kubeconfig. */
export const LOCAL_RUN_HINT =
  "the production permission set reads only ./kubeconfig.yaml and the in-cluster service account: " +
  "run `deno task start:local` (adds exactly your kubeconfig, the files it names and its API server), " +
  "or copy it to ./kubeconfig.yaml and pass --kubeconfig kubeconfig.yaml";

function isPermissionError(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied;
}

async function fromKubeconfig(path: string, options: ConnectionOptions): Promise<KubeConnection> {
  const text = await Deno.readTextFile(path).catch((error) => {
    if (isPermissionError(error)) {
      throw new Error(`kubeconfig ${path} may not be read: ${LOCAL_RUN_HINT}`);
    }
    throw new Error(`kubeconfig ${path}: ${error.message}`);
  });
  const baseDir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  const ctx = await parseKubeconfig(text, baseDir);
  const read = async (ref?: { data?: string; file?: string }) =>
    ref?.data ?? (ref?.file ? await Deno.readTextFile(ref.file) : undefined);
  const https = ctx.server.startsWith("https:");
  if (https && ctx.insecureSkipTlsVerify && !ctx.certificateAuthority) {
    throw new Error(
      `kubeconfig ${path}: insecure-skip-tls-verify is not supported; give the cluster's certificate-authority`,
    );
  }
  const ca = await read(ctx.certificateAuthority);
  const cert = await read(ctx.clientCertificate);
  const key = await read(ctx.clientKey);
  const plugin = ctx.exec
    ? new ExecCredentialSource(ctx.exec, { server: ctx.server, certificateAuthorityData: ca })
    : undefined;
  const token = plugin
    ? () => plugin.token()
    : ctx.tokenFile
    ? rotatingToken(ctx.tokenFile)
    : () => Promise.resolve(ctx.token);
  const needsClient = https && (ca !== undefined || cert !== undefined);
  return {
    server: ctx.server,
    namespace: options.namespace ?? ctx.namespace ?? "default",
    source: `kubeconfig ${path}${plugin ? ` (exec plugin ${ctx.exec!.command})` : ""}`,
    authorization: async () => {
      const value = await token();
      return value ? `Bearer ${value}` : undefined;
    },
    ...(plugin ? { unauthorized: () => plugin.invalidate() } : {}),
    httpClient: needsClient
      ? Deno.createHttpClient({
        caCerts: ca ? [ca] : undefined,
        ...(cert && key ? { cert, key } : {}),
      })
      : undefined,
  };
}

/**
 * Finds the API server: `--kubeconfig`, then `$KUBECONFIG` (its first path), then the in-cluster
 * service account, then `~/.kube/config`. Throws with a clear message when none is usable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeApiServer } from "../fake/api_server.ts";
 * import { loadConnection } from "./connection.ts";
 * const fake = FakeApiServer.start({ namespace: "ci" });
 * const connection = await loadConnection({ kubeconfig: await fake.writeKubeconfig() });
 * assert.equal(connection.namespace, "ci");
 * assert.equal(connection.server, fake.url);
 * await fake.stop();
 * ```
 */
export async function loadConnection(
  options: ConnectionOptions,
  environment: Environment = { env: permittedEnv, serviceAccountDir: SERVICE_ACCOUNT_DIR },
): Promise<KubeConnection> {
  if (options.kubeconfig) return await fromKubeconfig(options.kubeconfig, options);
  const fromEnv = environment.env("KUBECONFIG")?.split(":").find(Boolean);
  if (fromEnv) return await fromKubeconfig(fromEnv, options);
  const cluster = await inCluster(options, environment);
  if (cluster) return cluster;
  const home = environment.env("HOME");
  if (home && (await exists(`${home}/.kube/config`))) {
    return await fromKubeconfig(`${home}/.kube/config`, options);
  }
  if (!home && Deno.permissions.querySync({ name: "env", variable: "HOME" }).state !== "granted") {
    // ~/.kube/config may well exist: this permission set cannot even see where HOME is
    throw new Error(
      `no Kubernetes API found (~/.kube/config was not looked for): ${LOCAL_RUN_HINT}`,
    );
  }
  throw new Error(
    "no Kubernetes API found: give --kubeconfig, set KUBECONFIG, run in a pod, or create ~/.kube/config",
  );
}
