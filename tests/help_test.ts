/**
 * The first run: `--help` and `--version` under the production permission set, their flags the
 * parser's and the README's and docs/flags.md's (generated from one source), and a kubeconfig
 * the permission set may not read named as such, with the way out.
 */
import assert from "node:assert/strict";
import { FLAG_NAMES } from "../src/config/config.ts";
import { FLAG_DOCS, flagsTable } from "../src/config/flag_docs.ts";
import { FLAG_TABLE_FILES } from "../scripts/docs.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** Deno's cache folder: a test that changes HOME must keep it (or Deno downloads everything again). */
async function denoDir(): Promise<string> {
  const info = await new Deno.Command("deno", { args: ["info", "--json"], stdout: "piped" })
    .output();
  return JSON.parse(new TextDecoder().decode(info.stdout)).denoDir;
}

async function runMain(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command("deno", {
    args: ["run", "--no-prompt", "-P=kubedock-dns", "main.ts", ...args],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    // Deno's own notice about permissions in deno.json is not ours
    stderr: decoder.decode(output.stderr).split("\n")
      .filter((line) => line && !line.includes("experimental feature")).join("\n"),
  };
}

/** The rows of the Markdown table between the flag markers, as [flag, default, meaning]. */
function tableRows(markdown: string): string[][] {
  const block = markdown.split("<!-- flags:start -->")[1]?.split("<!-- flags:end -->")[0] ?? "";
  return block.split("\n").filter((line) => line.startsWith("|")).slice(2)
    .map((line) => line.slice(1, -1).split("|").map((cell) => cell.trim()));
}

Deno.test("--help, --version and the flag tables", async (t) => {
  await t.step("--help prints every flag the parser takes, with default and meaning", async () => {
    const help = await runMain(["--help"]);
    assert.equal(help.code, 0, help.stderr);
    const printed = [...help.stdout.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]);
    assert.deepEqual([...printed].sort(), [...FLAG_NAMES, "help", "version"].sort());
    assert.match(help.stdout, /--wait-timeout DUR +how long an internal name may be held \[20s\]/);
    assert.match(help.stdout, /--max-pending-per-source N +.*\[256\]/);
  });

  await t.step("--version prints the version", async () => {
    const version = await runMain(["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^kubedock-dns \d+\.\d+\.\d+ \(Deno /);
  });

  await t.step("the README's and docs/flags.md's tables are the generated one", async () => {
    const expected = tableRows(`<!-- flags:start -->\n${flagsTable()}\n<!-- flags:end -->`);
    assert.equal(expected.length, FLAG_DOCS.length);
    for (const file of FLAG_TABLE_FILES) {
      const rows = tableRows(await Deno.readTextFile(`${ROOT}${file}`));
      assert.deepEqual(rows, expected, `${file} is stale: run deno task docs`);
    }
  });
});

Deno.test("a kubeconfig the production permission set may not read is named, with the way out", async (t) => {
  const home = await Deno.makeTempDir({ prefix: "kubedock-dns-home-" });
  await Deno.mkdir(`${home}/.kube`);
  await Deno.writeTextFile(`${home}/.kube/config`, "apiVersion: v1\nkind: Config\n");
  try {
    await t.step("~/.kube/config exists but HOME is not readable to it", async () => {
      const run = await runMain(["--no-webhook", "--upstream", "127.0.0.1:9"], {
        HOME: home,
        DENO_DIR: await denoDir(),
      });
      assert.equal(run.code, 2);
      assert.equal(run.stderr.split("\n").length, 1, run.stderr);
      assert.match(run.stderr, /~\/\.kube\/config was not looked for/);
      assert.match(run.stderr, /deno task start:local/);
    });
    await t.step("--kubeconfig outside the set", async () => {
      const path = `${home}/.kube/config`;
      const run = await runMain([
        "--no-webhook",
        "--upstream",
        "127.0.0.1:9",
        "--kubeconfig",
        path,
      ]);
      assert.equal(run.code, 2);
      assert.equal(run.stderr.split("\n").length, 1, run.stderr);
      assert.match(run.stderr, new RegExp(`kubeconfig ${path} may not be read`));
      assert.match(run.stderr, /deno task start:local/);
    });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
