/**
 * `deno task demo` answers the dig commands it prints (isolation between test1 and test2) and
 * stops cleanly on SIGINT.
 */
import assert from "node:assert/strict";
import { answerData, dig } from "./helpers/dig.ts";
import { freePort } from "./helpers/dnsmasq.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("deno task demo", async () => {
  const task: string = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks.demo;
  const [command, ...args] = task.split(/\s+/);
  const port = freePort();
  const child = new Deno.Command(command, {
    args: [...args, "--dns-port", String(port)],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = new Response(child.stderr).text();
  const deadline = Date.now() + 30_000;
  while (!output.includes("DEMO-READY")) {
    const { value, done } = await reader.read();
    assert.ok(!done && Date.now() < deadline, `the demo never got ready:\n${output}`);
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
    child.kill("SIGINT");
    const status = await child.status;
    await draining;
    assert.equal(status.code, 0, `exit ${status.code}: ${await stderr}`);
  }
});
