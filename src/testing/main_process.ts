/**
 * main.ts as a subprocess, started the way an operator would: the production V8 flags and an
 * explicit permission list.
 *
 * @module
 */
import { localPermissionFlags, V8_FLAGS, v8FlagsOf } from "../../scripts/permission_flags.ts";
import { freePort, waitForTcp } from "./dnsmasq.ts";

/**
 * Permissions of the program under test: the production environment list, loopback only, its
 * kubeconfig (and other files), resolv.conf.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mainPermissions } from "./main_process.ts";
 * const flags = await mainPermissions("/tmp/kubeconfig");
 * assert.ok(flags.includes("--allow-read=/tmp/kubeconfig,/etc/resolv.conf"));
 * assert.ok(flags.includes("--allow-net=127.0.0.0/8,0.0.0.0"));
 * ```
 */
export function mainPermissions(kubeconfigPath: string, ...readable: string[]): Promise<string[]> {
  return localPermissionFlags({
    net: ["127.0.0.0/8", "0.0.0.0"],
    read: [kubeconfigPath, ...readable],
  });
}

/**
 * Flags for a replica without the webhook: the watcher on `kubeconfig`, DNS forwarding to a
 * loopback upstream on `upstreamPort`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dnsOnlyArgs } from "./main_process.ts";
 * assert.deepEqual(dnsOnlyArgs("/tmp/kubeconfig", 5353), [
 *   "--no-webhook", "--kubeconfig", "/tmp/kubeconfig", "--upstream", "127.0.0.1:5353",
 * ]);
 * ```
 */
export function dnsOnlyArgs(kubeconfig: string, upstreamPort: number): string[] {
  return ["--no-webhook", "--kubeconfig", kubeconfig, "--upstream", `127.0.0.1:${upstreamPort}`];
}

/** A running kubedock-dns process. */
export interface MainProcess {
  dns: { hostname: string; port: number };
  health: { hostname: string; port: number };
  child: Deno.ChildProcess;
  /** Everything it wrote to stderr so far. */
  logs(): string;
  /** GET on the health port; returns the status code. */
  healthStatus(path: string): Promise<number>;
  /** Waits until `/readyz` answers 200 (throws with the logs after `timeoutMs`). */
  waitReady(timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

/**
 * Starts `main.ts` with `args` plus listen addresses (`dns`, else free loopback ports); resolves
 * once its health port accepts connections, and rejects with its output if it exits first (`env`
 * adds to its environment, e.g. the downward API's `POD_IP`; `root` runs another checkout's
 * main.ts with its own deno.json, the V8 flags of its start task and `args` as given, as
 * `bench:compare` runs an older revision, which may lack `--lameduck`). Unless `args` name `--lameduck` or `root` is given, it runs with
 * `--lameduck 0s`, so that `stop()` is as quick as a test
 * wants (the lameduck has tests of its own).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mainPermissions, startMain } from "./main_process.ts";
 * await assert.rejects(
 *   startMain(["--no-such-flag"], mainPermissions("/tmp/kubeconfig")),
 *   /main.ts did not start \(exit code 2\): kubedock-dns: unknown flag --no-such-flag/,
 * );
 * ```
 */
export async function startMain(
  args: string[],
  permissions: string[] | Promise<string[]>,
  dns = { hostname: "127.0.0.1", port: freePort() },
  env: Record<string, string> = {},
  root?: string,
): Promise<MainProcess> {
  const health = { hostname: "127.0.0.1", port: freePort() };
  // another checkout runs with the V8 flags its own start task names, as it ran then
  const v8Flags = root
    ? v8FlagsOf(JSON.parse(await Deno.readTextFile(`${root}/deno.json`)).tasks.start)
    : V8_FLAGS;
  const child = new Deno.Command("deno", {
    args: [
      "run",
      "--no-prompt",
      ...(v8Flags ? [v8Flags] : []),
      ...(root ? ["--config", `${root}/deno.json`] : []),
      ...(await permissions),
      root ? `${root}/main.ts` : new URL("../../main.ts", import.meta.url).pathname,
      "--dns-listen",
      `${dns.hostname}:${dns.port}`,
      "--health-listen",
      `${health.hostname}:${health.port}`,
      ...(root || args.some((arg) => arg.startsWith("--lameduck")) ? [] : ["--lameduck", "0s"]),
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let logs = "";
  const decoder = new TextDecoder();
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) logs += decoder.decode(chunk);
  };
  const draining = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const exited = child.status.then((status) => status.code);
  const started = await Promise.race([
    waitForTcp(health).then(() => "listening" as const, (error: Error) => error),
    exited,
  ]);
  if (started !== "listening") {
    try {
      child.kill();
    } catch { /* already gone */ }
    const code = await exited;
    await draining;
    throw new Error(`main.ts did not start (exit code ${code}): ${logs}`, {
      cause: started instanceof Error ? started : undefined,
    });
  }
  const healthStatus = async (path: string) => {
    const response = await fetch(`http://${health.hostname}:${health.port}${path}`);
    await response.body?.cancel();
    return response.status;
  };
  return {
    dns,
    health,
    child,
    logs: () => logs,
    healthStatus,
    async waitReady(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let status: number;
        try {
          status = await healthStatus("/readyz");
        } catch (error) {
          await new Promise((r) => setTimeout(r, 100)); // its last lines through the pipe
          throw new Error(
            `kubedock-dns stopped answering on its health port (${
              (error as Error).message
            }):\n${logs}`,
          );
        }
        if (status === 200) return;
        if (Date.now() > deadline) throw new Error(`kubedock-dns never became ready:\n${logs}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const { code } = await child.status;
      await draining;
      return code;
    },
  };
}
