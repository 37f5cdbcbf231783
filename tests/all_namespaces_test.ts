/**
 * One install for many namespaces (`--all-namespaces`): two namespaces each with network `test1`
 * and alias `db`; each namespace's pods get their own `db`, bare and search-suffixed; another
 * namespace's suffixed name is neither answered nor held; PTR across namespaces names nothing; a
 * namespace that appears later is served; one list and one watch over `/api/v1/pods`.
 */
import assert from "node:assert/strict";
import { FakeApiServer } from "../src/fake/api_server.ts";
import { answerData, dig } from "./helpers/dig.ts";
import { dnsOnlyArgs, mainPermissions, startMain } from "../src/testing/main_process.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";
import { nxdomainForAll, scriptedUpstream } from "./helpers/scripted_upstream.ts";

const reverse = (ip: string) => `${ip.split(".").reverse().join(".")}.in-addr.arpa`;

Deno.test("--all-namespaces: one install, a view per namespace", async (t) => {
  const upstream = scriptedUpstream(nxdomainForAll);
  const fake = FakeApiServer.start({ namespace: "kubedock-dns" });
  const kubeconfig = await fake.writeKubeconfig();
  const main = await startMain([
    ...dnsOnlyArgs(kubeconfig, upstream.address.port),
    "--all-namespaces",
    "--wait-timeout",
    "3s",
    "--log-format",
    "text",
  ], mainPermissions(kubeconfig));
  const started = async (name: string, namespace: string, aliases: string[]) => {
    await fake.createPod(kubedockPod(name, aliases, ["test1"]), namespace);
    await eventually(() => fake.podIp(name, namespace) !== undefined, `${namespace}/${name} IP`);
    return fake.podIp(name, namespace)!;
  };
  try {
    await main.waitReady();
    const ip = {
      dbA: await started("db1", "team-a", ["db"]),
      appA: await started("app1", "team-a", ["app"]),
      dbB: await started("db1", "team-b", ["db"]),
      appB: await started("app1", "team-b", ["app"]),
    };
    const from = (source: string) => ({ server: main.dns, source });

    await t.step("each namespace's pods get their own db, bare and suffixed", async () => {
      for (
        const [source, ns, want] of [[ip.appA, "team-a", ip.dbA], [ip.appB, "team-b", ip.dbB]]
      ) {
        for (const name of ["db", `db.${ns}.svc.cluster.local`]) {
          const r = await dig(name, from(source));
          assert.deepEqual(answerData(r, "A"), [want], `${name} from ${ns}: ${r.output}`);
        }
      }
    });

    await t.step("another namespace's suffixed name: not answered from it, not held", async () => {
      const r = await dig("db.team-b.svc.cluster.local", from(ip.appA));
      assert.equal(r.status, "NXDOMAIN", r.output);
      assert.deepEqual(answerData(r, "A"), []);
      assert.ok(r.elapsedMs < 1_500, `forwarded like any name, not held: ${r.elapsedMs} ms`);
    });

    await t.step("PTR names peers of the own namespace only", async () => {
      const peer = await dig(reverse(ip.dbA), { ...from(ip.appA), type: "PTR" });
      assert.deepEqual(answerData(peer, "PTR"), ["db."], peer.output);
      const across = await dig(reverse(ip.dbB), { ...from(ip.appA), type: "PTR" });
      assert.deepEqual(answerData(across, "PTR"), [], across.output);
    });

    await t.step("a namespace that appears later is served without a restart", async () => {
      const db = await started("db1", "team-c", ["db"]);
      const app = await started("app1", "team-c", ["app"]);
      // asked at once: held until the new namespace's pods are indexed, if they are not yet
      for (const name of ["db.team-c.svc.cluster.local", "db"]) {
        const r = await dig(name, from(app));
        assert.deepEqual(answerData(r, "A"), [db], `${name}: ${r.output}`);
      }
    });

    await t.step("the watcher made one list and watches over /api/v1/pods only", () => {
      const pods = fake.requests.filter((r) => /\/pods\b/.test(r));
      const lists = pods.filter((r) => r.startsWith("GET /api/v1/pods?") && !/watch=/.test(r));
      const watches = pods.filter((r) => r.startsWith("GET /api/v1/pods?") && /watch=/.test(r));
      assert.equal(lists.length, 1, pods.join("\n"));
      assert.ok(watches.length >= 1, pods.join("\n"));
      assert.deepEqual(
        pods.filter((r) => r.startsWith("GET /api/v1/namespaces/")),
        [],
        "no per-namespace list or watch",
      );
    });

    await t.step("metrics per namespace", async () => {
      const text = await (await fetch(`http://127.0.0.1:${main.health.port}/metrics`)).text();
      for (const ns of ["team-a", "team-b", "team-c"]) {
        assert.match(
          text,
          new RegExp(`^kubedock_dns_namespace_pods\\{namespace="${ns}"\\} 2$`, "m"),
        );
        assert.match(
          text,
          new RegExp(`^kubedock_dns_namespace_networks\\{namespace="${ns}"\\} 1$`, "m"),
        );
      }
      assert.match(
        text,
        /^kubedock_dns_indexed_networks 3$/m,
        "test1 of each namespace is its own",
      );
    });
  } finally {
    await main.stop();
    await fake.stop();
    await upstream.close();
  }
});
