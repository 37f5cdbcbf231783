/**
 * `deno task demo` answers the dig commands it prints (isolation between test1 and test2) and
 * stops cleanly on Ctrl-C: SIGINT to the whole process group, as a terminal sends it (the task
 * runner, the demo and kubedock-dns each get one).
 */
import assert from "node:assert/strict";
import { answerData, dig } from "./helpers/dig.ts";
import { freePort } from "../src/testing/dnsmasq.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** Signals a whole process group (Deno.kill on a group needs blanket --allow-run; kill does not). */
async function signalGroup(pid: number, signal: "SIGINT" | "SIGKILL"): Promise<void> {
  await new Deno.Command("kill", { args: [`-${signal.slice(3)}`, "--", `-${pid}`] }).output();
}

/** The next chunk, or a failure when nothing comes within `ms` (the demo stopped printing). */
async function readWithin(
  reader: ReadableStreamDefaultReader<string>,
  ms: number,
  output: string,
): Promise<ReadableStreamReadResult<string>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const silence = new Promise<never>((_, reject) =>
    timer = setTimeout(
      () => reject(new Error(`the demo printed nothing for ${ms} ms:\n${output}`)),
      ms,
    )
  );
  try {
    return await Promise.race([reader.read(), silence]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("deno task demo", async () => {
  const port = freePort();
  // setsid: its own process group, so the test can signal it as a terminal's Ctrl-C does
  const child = new Deno.Command("setsid", {
    // a loopback upstream where nothing listens: the demo's names need none, nothing leaves
    args: [
      "deno",
      "task",
      "demo",
      "--dns-port",
      String(port),
      "--upstream",
      `127.0.0.1:${freePort()}`,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = new Response(child.stderr).text();
  while (!output.includes("DEMO-READY")) {
    const { value, done } = await readWithin(reader, 30_000, output).catch(async (error) => {
      await signalGroup(child.pid, "SIGKILL");
      await child.status;
      throw error;
    });
    if (done) assert.fail(`the demo ended before it was ready:\n${output}\n${await stderr}`);
    output += value;
  }
  const draining = (async () => {
    for (;;) if ((await reader.read()).done) break;
  })();
  try {
    const lines = output.split("\n").filter((l) => l.trim().startsWith("dig -b"));
    assert.equal(lines.length, 4, output);
    const ip = (pod: string) => new RegExp(`^\\s+${pod}\\s+(\\S+)`, "m").exec(output)![1];
    const run = async (line: string) => {
      const [, source, name, type] = /dig -b (\S+) @127\.0\.0\.1 -p \d+ (\S+)(?: (PTR))? \+short/
        .exec(line)!;
      return await dig(name, {
        server: { hostname: "127.0.0.1", port },
        source,
        type: type ?? "A",
      });
    };
    const fromService1 = await run(lines[0]);
    assert.deepEqual(answerData(fromService1, "A"), [ip("db1")], fromService1.output);
    const fromService2 = await run(lines[1]);
    assert.deepEqual(answerData(fromService2, "A"), [ip("db2")], "test2 sees its own db");
    const fromShared = await run(lines[2]);
    assert.deepEqual(answerData(fromShared, "A"), [ip("service1"), ip("service2")].sort());
    const reverse = await run(lines[3]);
    assert.deepEqual(answerData(reverse, "PTR"), ["db."]);
  } finally {
    await signalGroup(child.pid, "SIGINT"); // Ctrl-C
    const killer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), 15_000);
    const status = await child.status;
    clearTimeout(killer);
    await draining;
    const errors = await stderr;
    assert.equal(status.code, 0, `exit ${status.code}: ${errors}`);
    assert.doesNotMatch(errors, /error:|BadResource|\n\s+at /, "no stack trace");
  }
});
