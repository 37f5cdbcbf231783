/**
 * An OCI bundle holding kubedock-dns as its image would (the Deno binary and the libraries it
 * links, the program, its npm dependencies cached by `deno install --frozen` as the Dockerfile
 * does), and runc running it as root of the host would for a CRI runtime. Root only.
 */
import { commandOutput } from "../../src/testing/command.ts";
import type { ociConfig } from "./oci_config.ts";

/** Where the image keeps the program and Deno's cache. */
export const APP_DIR = "/app";
export const DENO_DIR = "/deno-dir";
/** Where the image keeps the Deno binary. */
export const DENO_BINARY = "/usr/local/bin/deno";

/** What of the repository the image holds (as the Dockerfile copies it). */
const APP_FILES = ["deno.json", "deno.lock", "main.ts", "src"];

/** runc's state folder for these tests: `removeLeftovers` clears what a killed run left. */
const RUNC_ROOT = "/tmp/kubedock-dns-runc";

/**
 * The shared libraries `binary` loads, by absolute path, as `ldd` lists them (the vDSO has none).
 */
export function linkedLibraries(lddOutput: string): string[] {
  return [...lddOutput.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((match) => match[1]);
}

/**
 * Builds `<bundle>/rootfs`: the running Deno binary and its libraries, the program from `repo`
 * under APP_DIR and its dependencies in DENO_DIR (`deno install --frozen`, fetched from the npm
 * registry as the image build does). Every file is root's and readable by every user, as in an
 * image.
 */
export async function buildRootfs(bundle: string, repo: string): Promise<void> {
  const rootfs = `${bundle}/rootfs`;
  await Deno.mkdir(`${rootfs}/usr/local/bin`, { recursive: true, mode: 0o755 });
  await Deno.chmod(bundle, 0o755);
  await Deno.chmod(rootfs, 0o755);
  const deno = Deno.execPath();
  // cp, not Deno.copyFile: the binary and libraries stay outside the test's read permission
  await commandOutput("cp", ["-L", deno, `${rootfs}${DENO_BINARY}`]);
  await commandOutput("cp", [
    "-L",
    "--parents",
    ...linkedLibraries(await commandOutput("ldd", [deno])),
    rootfs,
  ]);
  await Deno.mkdir(`${rootfs}${APP_DIR}`, { mode: 0o755 });
  await commandOutput("cp", [
    "-R",
    ...APP_FILES.map((file) => `${repo}/${file}`),
    `${rootfs}${APP_DIR}`,
  ]);
  await commandOutput("deno", ["install", "--frozen", "--entrypoint", "main.ts"], {
    cwd: `${rootfs}${APP_DIR}`,
    env: { DENO_DIR: `${rootfs}${DENO_DIR}`, NO_COLOR: "1" },
  });
  await commandOutput("chmod", ["-R", "a+rX", rootfs]);
}

/** Writes the bundle's config.json. */
export async function writeConfig(
  bundle: string,
  config: ReturnType<typeof ociConfig>,
): Promise<void> {
  await Deno.writeTextFile(`${bundle}/config.json`, JSON.stringify(config, null, 2));
}

/** A container runc runs in the foreground, its output collected. */
export class RuncContainer {
  readonly #child: Deno.ChildProcess;
  #output = "";

  private constructor(readonly id: string, child: Deno.ChildProcess) {
    this.#child = child;
    const decode = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) this.#output += chunk;
    };
    decode(child.stdout);
    decode(child.stderr);
  }

  /** `runc run` of `bundle` as container `id` (after removing a killed run's containers). */
  static async run(bundle: string, id: string): Promise<RuncContainer> {
    await RuncContainer.removeLeftovers();
    const child = new Deno.Command("runc", {
      args: ["--root", RUNC_ROOT, "run", "--bundle", bundle, id],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new RuncContainer(id, child);
  }

  /** Deletes (killing first) every container in the tests' runc state folder. */
  static async removeLeftovers(): Promise<void> {
    const listed = await commandOutput("runc", ["--root", RUNC_ROOT, "list", "-q"]).catch(() => "");
    for (const id of listed.split("\n").filter(Boolean)) {
      await commandOutput("runc", ["--root", RUNC_ROOT, "delete", "--force", id]).catch(() => {});
    }
  }

  /** What the container wrote to stdout and stderr (and runc's own errors). */
  logs(): string {
    return this.#output;
  }

  /** Whether it has exited, and how. */
  get status(): Promise<Deno.CommandStatus> {
    return this.#child.status;
  }

  /** The pid of the container's first process, as the host sees it (`runc state`). */
  async pid(): Promise<number> {
    return JSON.parse(await commandOutput("runc", ["--root", RUNC_ROOT, "state", this.id])).pid;
  }

  /** The memory limit its cgroup enforces, in bytes (`runc events --stats`). */
  async memoryLimit(): Promise<number> {
    const events = await commandOutput("runc", ["--root", RUNC_ROOT, "events", "--stats", this.id]);
    return JSON.parse(events).data.memory.usage.limit;
  }

  /** Sends `signal` to the container's first process. */
  async kill(signal: "TERM" | "KILL"): Promise<void> {
    await commandOutput("runc", ["--root", RUNC_ROOT, "kill", this.id, signal]);
  }

  /** Kills and deletes it, whatever state it is in; waits for runc to end. */
  async remove(): Promise<void> {
    await commandOutput("runc", ["--root", RUNC_ROOT, "delete", "--force", this.id]).catch(
      () => {},
    );
    try {
      this.#child.kill("SIGKILL");
    } catch { /* ended */ }
    await this.#child.status;
    await Deno.remove(RUNC_ROOT, { recursive: true }).catch(() => {});
  }
}
