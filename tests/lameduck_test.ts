/**
 * A rollout, a node drain or an eviction sends SIGTERM while kube-proxy still routes queries to
 * the replica (until its endpoint is removed). With `--lameduck`, /readyz turns 503 at once while
 * UDP, TCP (new connections too) keep answering for the lameduck, then the drain; a second
 * signal skips what is left of it.
 */
import assert from "node:assert/strict";
import { FakeApiServer } from "../src/fake/api_server.ts";
import {
  dnsOnlyArgs,
  mainPermissions,
  type MainProcess,
  startMain,
} from "../src/testing/main_process.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";
import { nxdomainForAll, scriptedUpstream } from "./helpers/scripted_upstream.ts";
import { startQueryLoad } from "./helpers/query_load.ts";

/** Polls /readyz until it is 503; the time it took, in ms. */
async function msUntilNotReady(main: MainProcess, from: number): Promise<number> {
  while ((await main.healthStatus("/readyz")) !== 503) {
    if (performance.now() - from > 5_000) throw new Error("/readyz never turned 503");
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - from;
}

Deno.test("lameduck: not ready at once, every query answered, then a clean exit", async (t) => {
  const upstream = scriptedUpstream(nxdomainForAll);
  const fake = FakeApiServer.start({ namespace: "ci" });
  const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-lameduck-" });
  const kubeconfig = `${dir}/kubeconfig`;
  await Deno.writeTextFile(kubeconfig, fake.kubeconfig());
  const start = (lameduck: string) =>
    startMain([
      ...dnsOnlyArgs(kubeconfig, upstream.address.port),
      "--lameduck",
      lameduck,
      "--shutdown-timeout",
      "5s",
      "--log-format",
      "text",
    ], mainPermissions(kubeconfig));
  try {
    await fake.createPod(kubedockPod("db1", ["db"], ["n1"]));
    await fake.createPod(kubedockPod("app1", ["app"], ["n1"]));
    const ipOf = (name: string) => fake.podIp(name, "ci");
    await eventually(() => !!ipOf("db1") && !!ipOf("app1"), "pod IPs");

    await t.step(
      "SIGTERM under load: 503 within 0.3 s, 4.5 s of right answers, exit 0",
      async () => {
        const main = await start("5s");
        try {
          await main.waitReady();
          const load = startQueryLoad({
            server: main.dns,
            source: ipOf("app1")!,
            name: "db",
            expect: [ipOf("db1")!],
            udpEveryMs: 10,
            tcpEveryMs: 100,
            maxMs: 8_000,
          });
          await new Promise((r) => setTimeout(r, 300)); // the load runs before the signal too
          const signalledAt = performance.now();
          main.child.kill("SIGTERM");
          const notReadyMs = await msUntilNotReady(main, signalledAt);
          await new Promise((r) => setTimeout(r, 4_500 - (performance.now() - signalledAt)));
          const { udp, tcp } = await load.stop();
          console.log(
            `lameduck: /readyz 503 after ${
              notReadyMs.toFixed(0)
            } ms; UDP ${udp.right}/${udp.sent} right, TCP ${tcp.right}/${tcp.sent} right (new connections)`,
          );
          assert.ok(notReadyMs < 300, `/readyz 503 after ${notReadyMs} ms`);
          assert.ok(
            udp.sent >= 300 && tcp.sent >= 30,
            `the load ran: ${udp.sent} UDP, ${tcp.sent} TCP`,
          );
          assert.deepEqual(udp.wrong, [], "UDP answers");
          assert.deepEqual(tcp.wrong, [], "TCP answers");
          assert.equal(udp.lost, 0, "UDP queries lost");
          assert.equal(tcp.lost, 0, "TCP queries lost");
          const { code } = await main.child.status; // no second signal: stop() would send one
          assert.equal(code, 0);
          const exitedMs = performance.now() - signalledAt;
          assert.ok(exitedMs < 5_000 + 5_000, `exited ${exitedMs} ms after SIGTERM`);
          assert.ok(exitedMs > 5_000, `the lameduck lasted: exited after ${exitedMs} ms`);
          assert.match(main.logs(), /lameduck for 5000 ms/);
        } finally {
          await main.stop();
        }
      },
    );

    await t.step("a second signal skips the rest of the lameduck", async () => {
      const main = await start("60s");
      try {
        await main.waitReady();
        const signalledAt = performance.now();
        main.child.kill("SIGTERM");
        await msUntilNotReady(main, signalledAt);
        main.child.kill("SIGINT"); // Ctrl-C
        const { code } = await main.child.status;
        assert.equal(code, 0);
        const exitedMs = performance.now() - signalledAt;
        assert.ok(exitedMs < 5_000, `exited ${exitedMs} ms after the first signal`);
        await main.stop();
        assert.match(main.logs(), /lameduck cut short/);
      } finally {
        await main.stop();
      }
    });
  } finally {
    await fake.stop();
    await upstream.close();
    await Deno.remove(dir, { recursive: true });
  }
});
