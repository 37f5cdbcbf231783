/**
 * The whole program as a subprocess against the fake API server, with dnsmasq upstream and
 * dig as the client: the watcher feeds the DNS server through every fault of the issue.
 */
import assert from "node:assert/strict";
import { FakeApiServer } from "../src/fake/api_server.ts";
import { answerData, dig } from "./helpers/dig.ts";
import { startDnsmasq } from "../src/testing/dnsmasq.ts";
import { dnsOnlyArgs, mainPermissions, startMain } from "../src/testing/main_process.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";

const WAIT = "1500ms";

Deno.test("main.ts end to end with the fake API server", async (t) => {
  const dnsmasq = await startDnsmasq({ "ext.example.test": ["192.0.2.7"] });
  const fake = FakeApiServer.start({ namespace: "ci", autoReady: false });
  const kubeconfig = await fake.writeKubeconfig();
  const ipOf = (name: string) => fake.podIp(name, "ci");
  const startPod = async (name: string, aliases: string[], networks: string[], ready = true) => {
    await fake.createPod(kubedockPod(name, aliases, networks));
    await eventually(() => ipOf(name) !== undefined, `${name} has an IP`);
    if (ready) fake.setReady(name, true);
    return ipOf(name)!;
  };
  // the API is down at start: /readyz must wait for the first list
  await fake.refuseConnections(1_000);
  const main = await startMain(
    [
      ...dnsOnlyArgs(kubeconfig, dnsmasq.address.port),
      "--wait-timeout",
      WAIT,
      "--upstream-timeout",
      "500ms",
      "--log-format",
      "text",
    ],
    mainPermissions(kubeconfig),
  );
  const from = (source: string) => ({ server: main.dns, source });
  try {
    await t.step("/readyz is 503 until the first list, then 200", async () => {
      assert.equal(await main.healthStatus("/healthz"), 200);
      assert.equal(await main.healthStatus("/readyz"), 503);
      await main.waitReady(8_000);
    });

    const ips: Record<string, string> = {};
    await t.step("pods created through the API resolve inside their network", async () => {
      ips.db1 = await startPod("db1", ["db"], ["test1"]);
      ips.service1 = await startPod("service1", ["service1"], ["test1"]);
      ips.db2 = await startPod("db2", ["db"], ["test2"]);
      ips.service2 = await startPod("service2", ["service2"], ["test2"]);
      const r1 = await dig("db", from(ips.service1));
      assert.deepEqual(answerData(r1, "A"), [ips.db1], r1.output);
      const r2 = await dig("db", from(ips.service2));
      assert.deepEqual(answerData(r2, "A"), [ips.db2], r2.output);
      const ext = await dig("ext.example.test", from(ips.service1));
      assert.deepEqual(answerData(ext, "A"), ["192.0.2.7"]);
    });

    await t.step("a pod turning ready is answered while the query waits", async () => {
      ips.late = await startPod("late", ["late"], ["test1"], false);
      const pending = dig("late.ci.svc.cluster.local", from(ips.service1));
      await new Promise((r) => setTimeout(r, 300));
      fake.setReady("late", true);
      const r = await pending;
      assert.deepEqual(answerData(r, "A"), [ips.late], r.output);
      assert.ok(r.elapsedMs < 1_400, `held ${r.elapsedMs} ms`);
    });

    await t.step("a deleted pod stops answering", async () => {
      fake.deletePod("db1");
      await new Promise((r) => setTimeout(r, 200));
      const r = await dig("db.ci.svc.cluster.local", from(ips.service1));
      assert.equal(r.status, "NXDOMAIN", r.output);
      assert.deepEqual(r.answers, []);
    });

    await t.step(
      "a pod added while the watch was away and history compacted resolves after the relist",
      async () => {
        await fake.refuseConnections(400);
        const kafka = fake.createPod(kubedockPod("kafka", ["kafka"], ["test1"]));
        await kafka;
        await eventually(() => ipOf("kafka") !== undefined, "kafka IP");
        fake.setReady("kafka", true);
        fake.store.compact();
        const r = await dig("kafka.ci.svc.cluster.local", {
          ...from(ips.service1),
          timeSeconds: 5,
        });
        assert.deepEqual(answerData(r, "A"), [ipOf("kafka")!], r.output);
        assert.match(main.logs(), /relisting/);
      },
    );

    await t.step("a watch cut mid-stream loses nothing", async () => {
      await eventually(() => fake.watchCount === 1, "watching again");
      fake.closeWatches(true);
      const ip = await startPod("zookeeper", ["zk"], ["test2"]);
      const r = await dig("zk.ci.svc.cluster.local", from(ips.service2));
      assert.deepEqual(answerData(r, "A"), [ip], r.output);
    });

    await t.step(
      "the API down for 5 s: DNS answers from the last state, then catches up",
      async () => {
        await eventually(() => fake.watchCount === 1, "watching again");
        await fake.refuseConnections(5_000);
        const startedAt = Date.now();
        const ip = await startPod("redis", ["redis"], ["test2"]);
        const during = await dig("db", from(ips.service2));
        assert.deepEqual(answerData(during, "A"), [ips.db2], "answered while the API is down");
        assert.ok(Date.now() - startedAt < 4_000, "that answer came while the API was still down");
        await eventually(() => fake.watchCount === 1, "watching after the outage", 15_000);
        const after = await dig("redis.ci.svc.cluster.local", {
          ...from(ips.service2),
          timeSeconds: 5,
        });
        assert.deepEqual(answerData(after, "A"), [ip], after.output);
        assert.ok(Date.now() - startedAt >= 5_000);
      },
    );
  } finally {
    const code = await main.stop();
    await fake.stop();
    await dnsmasq.stop();
    // after the clean-up; main's own words when it ended otherwise (e.g. it could not bind a port)
    assert.equal(code, 0, `SIGTERM exits 0; main's output:\n${main.logs()}`);
  }
});
