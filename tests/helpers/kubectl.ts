/** Running the real kubectl against a fake API server. */

/** kubectl with a kubeconfig and a private discovery cache. */
export class Kubectl {
  constructor(readonly kubeconfigPath: string, readonly cacheDir: string) {}

  /** Writes `kubeconfig` into a fresh temporary folder. */
  static async create(kubeconfig: string): Promise<Kubectl> {
    const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-kubectl-" });
    await Deno.writeTextFile(`${dir}/kubeconfig`, kubeconfig);
    return new Kubectl(`${dir}/kubeconfig`, `${dir}/cache`);
  }

  #command(args: string[], stdin = false) {
    return new Deno.Command("kubectl", {
      args: ["--kubeconfig", this.kubeconfigPath, "--cache-dir", this.cacheDir, ...args],
      stdin: stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    });
  }

  /** Runs kubectl to the end. */
  async run(
    args: string[],
    input?: string,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const child = this.#command(args, input !== undefined).spawn();
    if (input !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(input));
      await writer.close();
    }
    const { code, stdout, stderr } = await child.output();
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code, stdout: text(stdout), stderr: text(stderr) };
  }

  /** Starts a long-running kubectl (such as `get pods -w`). */
  spawn(args: string[]): Deno.ChildProcess {
    return this.#command(args).spawn();
  }

  async cleanup(): Promise<void> {
    await Deno.remove(this.kubeconfigPath.replace(/\/kubeconfig$/, ""), { recursive: true });
  }
}
