/**
 * Kubeconfig exec credential plugins (`users[].user.exec`, client.authentication.k8s.io): how
 * EKS (`aws eks get-token`), GKE (`gke-gcloud-auth-plugin`) and AKS (`kubelogin`) kubeconfigs
 * authenticate. The plugin is run as the kubeconfig says (command, args, env, and
 * `KUBERNETES_EXEC_INFO`), its ExecCredential's token is kept until its `expirationTimestamp`,
 * and the plugin runs again after that or when the API server answers 401.
 *
 * @module
 */

/** A kubeconfig user's `exec` section, as far as this program uses it. */
export interface ExecConfig {
  apiVersion: string;
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  installHint?: string;
  provideClusterInfo: boolean;
}

/** The API versions of ExecCredential this program reads. */
const API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];

/**
 * The `exec` section of a kubeconfig user, checked, with a relative command (one with a `/`) taken
 * from `baseDir` as kubectl does. Throws one line naming what is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseExecConfig } from "./exec_credential.ts";
 * const exec = parseExecConfig({ apiVersion: "client.authentication.k8s.io/v1", command: "./token.sh", args: ["--x"] }, "/home/me/.kube");
 * assert.equal(exec.command, "/home/me/.kube/./token.sh");
 * assert.equal(parseExecConfig({ apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws" }, "/").command, "aws");
 * assert.throws(() => parseExecConfig({ command: "aws" }, "/"), /exec\.apiVersion/);
 * ```
 */
export function parseExecConfig(exec: Record<string, unknown>, baseDir: string): ExecConfig {
  const apiVersion = String(exec.apiVersion ?? "");
  if (!API_VERSIONS.includes(apiVersion)) {
    throw new Error(
      `kubeconfig exec.apiVersion ${JSON.stringify(exec.apiVersion)}: want ${
        API_VERSIONS.join(" or ")
      }`,
    );
  }
  const command = exec.command;
  if (typeof command !== "string" || !command) throw new Error("kubeconfig exec has no command");
  const strings = (list: unknown) => Array.isArray(list) ? list.map(String) : [];
  return {
    apiVersion,
    command: command.includes("/") && !command.startsWith("/") ? `${baseDir}/${command}` : command,
    args: strings(exec.args),
    env: Array.isArray(exec.env)
      ? exec.env.map((e) => ({ name: String(e?.name), value: String(e?.value ?? "") }))
      : [],
    installHint: typeof exec.installHint === "string" ? exec.installHint : undefined,
    provideClusterInfo: exec.provideClusterInfo === true,
  };
}

/** A token and until when it may be used (`Infinity`: until the server refuses it). */
export interface Credential {
  token: string;
  expiresAt: number;
}

/**
 * The token of an ExecCredential the plugin printed. Throws one line when it has none (a
 * client-certificate credential is not supported).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readExecCredential } from "./exec_credential.ts";
 * const text = JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: "t", expirationTimestamp: "2030-01-01T00:00:00Z" } });
 * assert.deepEqual(readExecCredential(text), { token: "t", expiresAt: Date.parse("2030-01-01T00:00:00Z") });
 * assert.equal(readExecCredential('{"kind":"ExecCredential","status":{"token":"t"}}').expiresAt, Infinity);
 * assert.throws(() => readExecCredential('{"kind":"ExecCredential","status":{"clientCertificateData":"x"}}'), /no token/);
 * ```
 */
export function readExecCredential(text: string): Credential {
  let doc: { kind?: string; status?: { token?: unknown; expirationTimestamp?: unknown } };
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error("the exec plugin did not print an ExecCredential (not JSON)");
  }
  if (doc?.kind !== "ExecCredential") {
    throw new Error("the exec plugin did not print an ExecCredential");
  }
  const token = doc.status?.token;
  if (typeof token !== "string" || !token) {
    throw new Error(
      "the exec plugin's ExecCredential has no token (client-certificate credentials are not supported)",
    );
  }
  const expiry = doc.status?.expirationTimestamp;
  const expiresAt = typeof expiry === "string" ? Date.parse(expiry) : Infinity;
  return { token, expiresAt: Number.isNaN(expiresAt) ? Infinity : expiresAt };
}

/** Runs the plugin once: its stdout, or an Error naming the command and its stderr. */
export type PluginRunner = (exec: ExecConfig, execInfo: string) => Promise<string>;

/** Runs the plugin as a child process, with the kubeconfig's env and `KUBERNETES_EXEC_INFO`. */
export const runPlugin: PluginRunner = async (exec, execInfo) => {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(exec.command, {
      args: exec.args,
      env: {
        ...Object.fromEntries(exec.env.map((e) => [e.name, e.value])),
        KUBERNETES_EXEC_INFO: execInfo,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    const hint = exec.installHint ? ` ${exec.installHint.trim()}` : "";
    throw new Error(`kubeconfig exec plugin ${exec.command}: ${(error as Error).message}${hint}`);
  }
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n")[0] ?? "";
    throw new Error(`kubeconfig exec plugin ${exec.command} exited ${output.code}: ${stderr}`);
  }
  return new TextDecoder().decode(output.stdout);
};

/**
 * The token of an exec plugin: run on first use, kept until it expires, run again after that or
 * after `invalidate()` (the server answered 401). Callers at once share one run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ExecCredentialSource } from "./exec_credential.ts";
 * let runs = 0;
 * let now = 0;
 * const source = new ExecCredentialSource(
 *   { apiVersion: "client.authentication.k8s.io/v1", command: "plugin", args: [], env: [], provideClusterInfo: false },
 *   { server: "https://127.0.0.1:6443" },
 *   {
 *     now: () => now,
 *     run: () => Promise.resolve(JSON.stringify({ kind: "ExecCredential", status: { token: `t${++runs}`, expirationTimestamp: new Date(1000).toISOString() } })),
 *   },
 * );
 * assert.deepEqual(await Promise.all([source.token(), source.token()]), ["t1", "t1"]); // one run
 * now = 1000; // expired
 * assert.equal(await source.token(), "t2");
 * source.invalidate(); // a 401
 * assert.equal(await source.token(), "t3");
 * ```
 */
export class ExecCredentialSource {
  readonly #exec: ExecConfig;
  readonly #execInfo: string;
  readonly #now: () => number;
  readonly #run: PluginRunner;
  #current: Credential | undefined;
  #running: Promise<Credential> | undefined;
  /** How many times the plugin ran. */
  runs = 0;

  constructor(
    exec: ExecConfig,
    cluster: { server: string; certificateAuthorityData?: string },
    options: { now?: () => number; run?: PluginRunner } = {},
  ) {
    this.#exec = exec;
    this.#now = options.now ?? Date.now;
    this.#run = options.run ?? runPlugin;
    this.#execInfo = JSON.stringify({
      apiVersion: exec.apiVersion,
      kind: "ExecCredential",
      spec: {
        interactive: false,
        ...(exec.provideClusterInfo
          ? {
            cluster: {
              server: cluster.server,
              ...(cluster.certificateAuthorityData
                ? { "certificate-authority-data": btoa(cluster.certificateAuthorityData) }
                : {}),
            },
          }
          : {}),
      },
    });
  }

  /** The token to send now (runs the plugin when none is valid). */
  async token(): Promise<string> {
    if (this.#current && this.#now() < this.#current.expiresAt) return this.#current.token;
    this.#running ??= (async () => {
      try {
        this.runs++;
        return this.#current = readExecCredential(await this.#run(this.#exec, this.#execInfo));
      } finally {
        this.#running = undefined;
      }
    })();
    return (await this.#running).token;
  }

  /** Forgets the token (the server refused it): the next request runs the plugin again. */
  invalidate(): void {
    this.#current = undefined;
  }
}
