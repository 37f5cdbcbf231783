/**
 * Forwarding loops (docs/dns.md): an upstream that is the server itself is refused at start;
 * a loop through another server (a dnsmasq whose upstream is kubedock-dns) costs a handful of
 * upstream queries, ends in SERVFAIL, is logged and counted, and internal names keep answering.
 */
import assert from "node:assert/strict";
import { DnsUpstream, type Upstream } from "../src/dns/upstream/upstream.ts";
import { FakeApiServer } from "../src/fake/api_server.ts";
import { NetworkIndex } from "../src/index/network_index.ts";
import { startTestDnsServer } from "../src/testing/dns_server.ts";
import { podRecord } from "../src/testing/records.ts";
import { freePort } from "../src/fake/free_port.ts";
import { answerData, dig } from "./helpers/dig.ts";
import { dnsmasqArgs, waitForTcp } from "../src/testing/dnsmasq.ts";
import { dnsOnlyArgs, mainPermissions, startMain } from "../src/testing/main_process.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";

const UPSTREAM_TIMEOUT_MS = 500;

Deno.test("an upstream that is this server is refused at start with one line", async () => {
  const fake = FakeApiServer.start(); // never asked: the start is refused before the API is
  const kubeconfig = await fake.writeKubeconfig();
  try {
    const port = freePort();
    for (const listen of [`127.0.0.1:${port}`, `0.0.0.0:${port}`]) {
      const { code, stderr } = await new Deno.Command("deno", {
        args: [
          "run",
          "--no-prompt",
          ...await mainPermissions(kubeconfig),
          new URL("../main.ts", import.meta.url).pathname,
          "--no-webhook",
          "--kubeconfig",
          kubeconfig,
          "--dns-listen",
          listen,
          "--upstream",
          `127.0.0.1:${port}`,
        ],
        stdout: "null",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(stderr).trim();
      assert.equal(code, 2, text);
      assert.equal(text.split("\n").length, 1, text);
      assert.match(text, /--upstream 127\.0\.0\.1:\d+ is this server's own --dns-listen/);
    }
  } finally {
    await fake.stop();
  }
});

/** dnsmasq forwarding everything to `upstreamPort`, logging every query to a file. */
async function startLoopingDnsmasq(upstreamPort: number, log: string) {
  const port = freePort();
  const child = new Deno.Command("dnsmasq", {
    args: [
      ...dnsmasqArgs({ hostname: "127.0.0.1", port }),
      `--server=127.0.0.1#${upstreamPort}`,
      "--log-queries",
      `--log-facility=${log}`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitForTcp({ hostname: "127.0.0.1", port });
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
}

Deno.test("a loop through a second server dies quickly, is reported, and internal names answer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-loop-" });
  const fake = FakeApiServer.start({ namespace: "ci" });
  const kubeconfig = await fake.writeKubeconfig();
  const dnsPort = freePort();
  const dnsmasqLog = `${dir}/dnsmasq.log`;
  const dnsmasq = await startLoopingDnsmasq(dnsPort, dnsmasqLog);
  const main = await startMain(
    [
      ...dnsOnlyArgs(kubeconfig, dnsmasq.port),
      "--upstream-timeout",
      `${UPSTREAM_TIMEOUT_MS}ms`,
      "--log-format",
      "text",
    ],
    mainPermissions(kubeconfig),
    { hostname: "127.0.0.1", port: dnsPort },
  );
  try {
    await main.waitReady();
    await fake.createPod(kubedockPod("db1", ["db"], ["n1"]));
    await fake.createPod(kubedockPod("app1", ["app"], ["n1"]));
    const ipOf = (name: string) => fake.podIp(name, "ci");
    await eventually(() => !!ipOf("db1") && !!ipOf("app1"), "pod IPs");
    const from = { server: main.dns, source: ipOf("app1")! };

    // the start-up probe went round the loop already
    await eventually(() => /forwarding loop/.test(main.logs()), "the loop error line", 3_000);
    assert.match(main.logs(), new RegExp(`upstream "?127\\.0\\.0\\.1:${dnsmasq.port}`));
    const loopsBefore = await metric(main.health.port, "kubedock_dns_forwarding_loops_total");
    assert.ok(loopsBefore >= 1, `loops counted at start: ${loopsBefore}`);

    const looping = dig("loop.example.test", { ...from, timeSeconds: 10 });
    const during: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await dig("db", from);
      assert.deepEqual(answerData(r, "A"), [ipOf("db1")!], r.output);
      during.push(r.elapsedMs);
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await looping;
    assert.equal(r.status, "SERVFAIL", r.output);
    assert.ok(
      r.elapsedMs < 2 * UPSTREAM_TIMEOUT_MS + 1_000,
      `the loop ended after ${r.elapsedMs.toFixed(0)} ms`,
    );
    await new Promise((r) => setTimeout(r, 3 * UPSTREAM_TIMEOUT_MS)); // stragglers, if any
    const log = await Deno.readTextFile(dnsmasqLog);
    const upstreamQueries = log.split("\n")
      .filter((line) => / query\[A\] loop\.example\.test from 127\.0\.0\.1$/.test(line)).length;
    assert.ok(
      upstreamQueries >= 1 && upstreamQueries <= 4,
      `one client query cost ${upstreamQueries} upstream queries:\n${log}`,
    );
    const loopsAfter = await metric(main.health.port, "kubedock_dns_forwarding_loops_total");
    assert.ok(
      loopsAfter > loopsBefore,
      `the looped query was counted (${loopsBefore} → ${loopsAfter})`,
    );
  } finally {
    await main.stop();
    await dnsmasq.stop();
    await fake.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an upstream that is the server under another name: one query, a handful of exchanges", async () => {
  const index = new NetworkIndex();
  index.replaceAll([podRecord("db1", ["127.0.0.2"], ["db"], ["n1"])]);
  const port = freePort();
  const real = new DnsUpstream({ hostname: "127.0.0.1", port }, UPSTREAM_TIMEOUT_MS);
  let exchanges = 0;
  const counting: Upstream = {
    exchange(message, questionEnd, transport) {
      exchanges++;
      return real.exchange(message, questionEnd, transport);
    },
    close: () => real.close(),
  };
  const loops: string[] = [];
  // listening on 127.0.0.1, forwarding to 127.0.0.1 on the same port: start-up checks are bypassed
  const server = startTestDnsServer(index, counting, {
    listen: { hostname: "127.0.0.1", port },
    onLoop: (request) => loops.push(request.source),
  });
  try {
    const r = await dig("self.example.test", { server: server.address, source: "127.0.0.2" });
    assert.equal(r.status, "SERVFAIL", r.output);
    assert.ok(r.elapsedMs < 2 * UPSTREAM_TIMEOUT_MS + 500, `ended after ${r.elapsedMs} ms`);
    assert.ok(exchanges <= 2, `${exchanges} upstream exchanges`);
    assert.ok(real.stats.timeouts <= 2, `${real.stats.timeouts} retries`);
    assert.ok(loops.length >= 1, "the echo was recognised as a loop");
    assert.equal(server.state.forwarding.loops, loops.length);
    const internal = await dig("db", { server: server.address, source: "127.0.0.2" });
    assert.deepEqual(answerData(internal, "A"), ["127.0.0.2"]);
  } finally {
    await server.close();
    real.close();
  }
});
