/** The real kubectl is the judge of the fake API server's faithfulness. */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { FakeApiServer } from "../src/fake/api_server.ts";
import { Kubectl } from "./helpers/kubectl.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";

Deno.test("kubectl against the fake API server", async (t) => {
  const fake = FakeApiServer.start({ namespace: "ci" });
  const kubectl = await Kubectl.create(fake.kubeconfig());
  try {
    await fake.createPod(kubedockPod("db1", ["db"], ["n1"]));
    await eventually(
      () => !!fake.podIp("db1", "ci"),
      "kubelet",
    );

    await t.step("get pods", async () => {
      const r = await kubectl.run(["get", "pods"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m, "a meta.k8s.io Table");
      assert.match(r.stdout, /^db1\s+1\/1\s+Running\s+0\s+\d+s$/m);
      const wide = await kubectl.run(["get", "pods", "-o", "wide"]);
      assert.match(wide.stdout, /^db1\s+1\/1\s+Running\s+0\s+\d+s\s+127\.0\.0\.\d+$/m);
    });

    await t.step("create -f", async () => {
      const r = await kubectl.run(
        ["create", "-f", "-"],
        stringify(kubedockPod("db2", ["db"], ["n2"])),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /pod\/db2 created/);
      const stored = fake.store.get("pods", "ci", "db2");
      assert.equal(stored.metadata?.annotations?.["kubedock.network/0"], "n2");
      await eventually(
        () => !!fake.podIp("db2", "ci"),
        "an IP",
      );
      const ip = await kubectl.run(["get", "pod", "db2", "-o", "jsonpath={.status.podIP}"]);
      assert.match(ip.stdout, /^127\.0\.0\.\d+$/);
    });

    await t.step(
      "get pods -w sees events and exits 0 when the server closes the stream",
      async () => {
        const child = kubectl.spawn(["get", "pods", "-w", "--output-watch-events"]);
        await eventually(() => fake.watchCount === 1, "kubectl watching");
        await fake.createPod(kubedockPod("db3", ["db"], ["n3"]));
        await new Promise((r) => setTimeout(r, 200));
        fake.closeWatches(false);
        const { code, stdout } = await child.output();
        const out = new TextDecoder().decode(stdout);
        assert.equal(code, 0);
        assert.match(out, /ADDED\s+db3/);
      },
    );

    await t.step("delete pod", async () => {
      const r = await kubectl.run(["delete", "pod", "db2"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /pod "db2" deleted/);
      assert.throws(() => fake.store.get("pods", "ci", "db2"));
      const after = await kubectl.run(["get", "pod", "db2"]);
      assert.notEqual(after.code, 0);
      assert.match(after.stderr, /NotFound/);
    });

    await t.step("annotate and label patch the stored pod", async () => {
      const r = await kubectl.run(["label", "pod", "db1", "team=blue"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(fake.store.get("pods", "ci", "db1").metadata?.labels?.team, "blue");
    });
  } finally {
    await fake.stop();
    await kubectl.cleanup();
  }
});
