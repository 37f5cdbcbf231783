/**
 * A reply the net permission refuses is never silent: on loopback, a replica allowed to send only
 * to 127.0.0.1 gets a query from a pod on 127.0.0.5; the reply is refused, counted in
 * `kubedock_dns_replies_denied_total` and logged as an error naming the address and how to widen
 * the set, once per 10 s however many follow. A replica whose own POD_IP is outside the set says
 * so at start and in `/readyz`'s body, and stays not ready.
 */
import assert from "node:assert/strict";
import { FakeApiServer } from "../src/fake/api_server.ts";
import { localPermissionFlags } from "../scripts/permission_flags.ts";
import { dnsOnlyArgs, startMain } from "../src/testing/main_process.ts";
import { kubedockPod } from "../src/testing/mod.ts";
import { dig } from "./helpers/dig.ts";

const permissions = (kubeconfig: string) =>
  localPermissionFlags({ net: ["127.0.0.1", "0.0.0.0"], read: [kubeconfig] });

Deno.test("refused replies: counted and logged, never silent", async (t) => {
  const fake = FakeApiServer.start({ namespace: "ci", ipPrefix: "127.0.0.", ipFirst: 5 });
  const kubeconfig = await fake.writeKubeconfig();
  try {
    await t.step("a pod outside the set: the metric and one error line per 10 s", async () => {
      const main = await startMain(
        [...dnsOnlyArgs(kubeconfig, 9), "--log-format", "text"],
        permissions(kubeconfig),
      );
      try {
        await main.waitReady();
        await fake.createPod(kubedockPod("db1", ["db"], ["n1"]));
        const source = await (async () => {
          for (let i = 0; i < 200 && !fake.podIp("db1", "ci"); i++) {
            await new Promise((r) => setTimeout(r, 10));
          }
          return fake.podIp("db1", "ci")!;
        })();
        assert.notEqual(source, "127.0.0.1", "the pod's address is outside the set");
        const denied = async () => {
          const text = await (await fetch(`http://127.0.0.1:${main.health.port}/metrics`)).text();
          return Number(/^kubedock_dns_replies_denied_total (\d+)$/m.exec(text)?.[1]);
        };
        assert.equal(await denied(), 0);
        for (let i = 1; i <= 3; i++) {
          const r = await dig("db", { server: main.dns, source, timeSeconds: 1 });
          assert.equal(r.status, "NO-ANSWER", `the reply never arrives: ${r.output}`);
          assert.equal(await denied(), i, "every refused reply is counted");
        }
        const lines = main.logs().split("\n").filter((l) =>
          /refused by the net permission/.test(l)
        );
        assert.equal(lines.length, 1, "logged at most once per 10 s");
        assert.match(lines[0], /ERR/);
        assert.match(lines[0], new RegExp(`reply to "${source.replaceAll(".", "\\.")}"`));
        assert.match(lines[0], /POD_NETWORKS/, "says how to widen the set");
      } finally {
        await main.stop();
      }
    });

    await t.step(
      "a replica whose POD_IP is outside the set is not ready, and says why",
      async () => {
        const main = await startMain(
          [...dnsOnlyArgs(kubeconfig, 9), "--log-format", "text"],
          permissions(kubeconfig),
          undefined,
          { POD_IP: "198.18.7.7" },
        );
        try {
          await new Promise((r) => setTimeout(r, 500)); // the pod list has been applied by now
          const response = await fetch(`http://127.0.0.1:${main.health.port}/readyz`);
          assert.equal(response.status, 503);
          assert.match(
            await response.text(),
            /^not ready: pod IP 198\.18\.7\.7 is outside the net permission set/,
          );
          assert.match(main.logs(), /ERR.*pod IP 198\.18\.7\.7 is outside the net permission set/);
        } finally {
          await main.stop();
        }
        const inside = await startMain(
          [...dnsOnlyArgs(kubeconfig, 9)],
          permissions(kubeconfig),
          undefined,
          { POD_IP: "127.0.0.1" },
        );
        try {
          await inside.waitReady(); // the control: a POD_IP inside the set is ready
        } finally {
          await inside.stop();
        }
      },
    );
  } finally {
    await fake.stop();
  }
});
