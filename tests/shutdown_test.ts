/**
 * SIGTERM while queries are held, a forwarded query is in flight and TCP connections are open:
 * /readyz turns 503 at once, held queries are answered (SERVFAIL: their names never became
 * answerable), the forwarded one finishes with upstream's answer, new TCP connections are
 * refused, and the process exits 0 within --shutdown-timeout.
 */
import assert from "node:assert/strict";
import { FakeApiServer } from "../src/fake/api_server.ts";
import { answerData, dig } from "./helpers/dig.ts";
import { dnsOnlyArgs, mainPermissions, startMain } from "../src/testing/main_process.ts";
import { decode, packet } from "../src/testing/packet.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";
import { scriptedUpstream } from "./helpers/scripted_upstream.ts";

/** NXDOMAIN for every name; `slow.example.test` gets an A record after 1.5 s. */
function upstreamAnswer(query: Uint8Array): Promise<Uint8Array[]> | Uint8Array[] {
  const q = decode(query);
  const slow = q.questions[0].name === "slow.example.test";
  const reply = new Uint8Array(packet.encode({
    type: "response",
    id: q.id,
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (slow ? 0 : 3),
    questions: q.questions as packet.Question[],
    answers: slow ? [{ type: "A", name: "slow.example.test", ttl: 5, data: "192.0.2.9" }] : [],
  }));
  return slow ? new Promise((resolve) => setTimeout(() => resolve([reply]), 1_500)) : [reply];
}

Deno.test("graceful shutdown on SIGTERM", async () => {
  const upstream = scriptedUpstream(upstreamAnswer);
  const fake = FakeApiServer.start({ namespace: "ci" });
  const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-shutdown-" });
  await Deno.writeTextFile(`${dir}/kubeconfig`, fake.kubeconfig());
  const main = await startMain([
    ...dnsOnlyArgs(`${dir}/kubeconfig`, upstream.address.port),
    "--wait-timeout",
    "20s",
    "--shutdown-timeout",
    "4s",
    "--log-format",
    "text",
  ], mainPermissions(`${dir}/kubeconfig`));
  try {
    await main.waitReady();
    await fake.createPod(kubedockPod("app1", ["app"], ["n1"]));
    const ip = () => fake.podIp("app1", "ci");
    await eventually(() => !!ip(), "pod IP");
    const from = { server: main.dns, source: ip()!, timeSeconds: 15 };
    assert.deepEqual(answerData(await dig("app", from), "A"), [ip()!], "indexed");

    const held = ["kafka", "zookeeper", "redis"].map((name) =>
      dig(`${name}.ci.svc.cluster.local`, from)
    );
    const heldTcp = dig("postgres.ci.svc.cluster.local", { ...from, extra: ["+tcp"] });
    const idleTcp = await Deno.connect(main.dns);
    const forwarded = dig("slow.example.test", from);
    await new Promise((r) => setTimeout(r, 500)); // all held, the slow one in flight

    const signalledAt = performance.now();
    main.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await main.healthStatus("/readyz"), 503, "not ready any more");
    await assert.rejects(
      async () => (await Deno.connect(main.dns)).close(),
      "no new TCP connections",
    );

    for (const r of await Promise.all([...held, heldTcp])) {
      assert.equal(r.status, "SERVFAIL", r.output);
      assert.ok(performance.now() - signalledAt < 3_000);
    }
    const slow = await forwarded;
    assert.deepEqual(
      answerData(slow, "A"),
      ["192.0.2.9"],
      "the forwarded query in flight finished",
    );
    assert.equal(
      await idleTcp.read(new Uint8Array(16)).catch(() => null),
      null,
      "open TCP connections closed",
    );
    idleTcp.close();

    const code = await main.stop(); // it has exited; this also waits until its output is read
    assert.equal(code, 0);
    assert.ok(performance.now() - signalledAt < 4_000 + 500, "within --shutdown-timeout");
    assert.match(main.logs(), /stopped/);
  } finally {
    await main.stop();
    await fake.stop();
    await upstream.close();
    await Deno.remove(dir, { recursive: true });
  }
});
