/**
 * `deno task start:local [FLAGS]`: kubedock-dns from a checkout against your own cluster. It finds
 * your kubeconfig (`--kubeconfig`, else the first path of `$KUBECONFIG`, else `~/.kube/config`)
 * and runs main.ts with the production permission set plus exactly what that kubeconfig needs:
 * the file itself, the certificate and token files it names, its API server's host, and the
 * command of its exec credential plugin (EKS, GKE, AKS) as the one program it may run.
 *
 * @module
 */

import { parseKubeconfig } from "../src/kube/kubeconfig.ts";
import { productionPermissions, V8_FLAGS } from "./permission_flags.ts";
import type { NetPermission } from "./pod_networks.ts";

/**
 * The permission flags for running with `kubeconfig` (its text given).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localRunFlags } from "./start_local.ts";
 * const kubeconfig = "apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: 'https://api.example.test:6443', certificate-authority: ca.pem}}]\nusers: [{name: u, user: {token: t}}]\n";
 * const flags = await localRunFlags("/home/me/.kube/config", kubeconfig, { net: ["127.0.0.0/8"], read: ["/etc/resolv.conf"], env: ["KUBECONFIG"] });
 * assert.deepEqual(flags, [
 *   "--allow-net=127.0.0.0/8,api.example.test:6443",
 *   "--allow-read=/etc/resolv.conf,/home/me/.kube/config,/home/me/.kube/ca.pem",
 *   "--allow-env=KUBECONFIG",
 * ]);
 * const eks = kubeconfig.replace("{token: t}", "{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token]}}");
 * assert.equal((await localRunFlags("/home/me/.kube/config", eks, { net: [], read: [], env: [] })).at(-1), "--allow-run=aws");
 * ```
 */
export async function localRunFlags(
  path: string,
  text: string,
  production: { net: NetPermission; read: string[]; env: string[] },
): Promise<string[]> {
  const baseDir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  const context = await parseKubeconfig(text, baseDir);
  const files = [
    path,
    context.certificateAuthority?.file,
    context.clientCertificate?.file,
    context.clientKey?.file,
    context.tokenFile,
  ].filter((file): file is string => !!file);
  return [
    ...(Array.isArray(production.net)
      ? [`--allow-net=${[...production.net, new URL(context.server).host].join(",")}`]
      : ["--allow-net", `--deny-net=${production.net.deny.join(",")}`]),
    `--allow-read=${[...production.read, ...files].join(",")}`,
    `--allow-env=${production.env.join(",")}`,
    ...(context.exec ? [`--allow-run=${context.exec.command}`] : []),
  ];
}

function kubeconfigPath(args: string[]): { path: string; rest: string[] } {
  const at = args.findIndex((arg) => arg === "--kubeconfig" || arg.startsWith("--kubeconfig="));
  if (at >= 0) {
    const inline = args[at].includes("=") ? args[at].slice("--kubeconfig=".length) : undefined;
    const path = inline ?? args[at + 1];
    const rest = [...args.slice(0, at), ...args.slice(at + (inline === undefined ? 2 : 1))];
    return { path, rest };
  }
  const fromEnv = Deno.env.get("KUBECONFIG")?.split(":").find(Boolean);
  const home = Deno.env.get("HOME");
  const path = fromEnv ?? (home ? `${home}/.kube/config` : "");
  return { path, rest: args };
}

if (import.meta.main) {
  const { path, rest } = kubeconfigPath(Deno.args);
  const text = await Deno.readTextFile(path).catch((error) => {
    console.error(
      `kubedock-dns: cannot read kubeconfig ${
        path || "(none: set HOME or KUBECONFIG)"
      }: ${error.message}` +
        " (start:local reads ./ and ~/.kube; elsewhere, pass --kubeconfig with a path under one of them)",
    );
    Deno.exit(2);
  });
  const flags = await localRunFlags(path, text, await productionPermissions());
  const child = new Deno.Command("deno", {
    args: [
      "run",
      "--no-prompt",
      V8_FLAGS,
      ...flags,
      new URL("../main.ts", import.meta.url).pathname,
      "--kubeconfig",
      path,
      ...rest,
    ],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => child.kill(signal));
  }
  Deno.exit((await child.status).code);
}
