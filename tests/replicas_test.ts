/**
 * Two replicas against one API server give the same answer to every query after the same
 * events, and either can decide any admission review.
 */
import assert from "node:assert/strict";
import { dig, type DigResult } from "./helpers/dig.ts";
import { freePort, startDnsmasq } from "../src/testing/dnsmasq.ts";
import { mainPermissions, startMain } from "../src/testing/main_process.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";
import {
  bootstrappedWebhookArgs,
  startKubeApiserver,
  WEBHOOK_AUTHORITY,
} from "../src/testing/kube_apiserver.ts";

/** What must agree between replicas: status, AA, and the answers (order aside: it rotates). */
function normalized(r: DigResult) {
  return {
    status: r.status,
    aa: r.flags.includes("aa"),
    answers: r.answers.map((a) => `${a.type} ${a.data}`).sort(),
  };
}

Deno.test("two replicas agree", async () => {
  const dnsmasq = await startDnsmasq({ "ext.example.test": ["192.0.2.7"] });
  const api = await startKubeApiserver();
  const ports = [freePort(), freePort()];
  const replicas = await Promise.all(ports.map((port) =>
    startMain([
      ...bootstrappedWebhookArgs(api.kubeconfig, port, dnsmasq.address.port),
      "--wait-timeout",
      "1s",
    ], mainPermissions(api.kubeconfig))
  ));
  const fake = api.fake;
  const useReplica = (i: number) =>
    api.proxy.register(WEBHOOK_AUTHORITY, { hostname: "127.0.0.1", port: ports[i] });
  try {
    await Promise.all(replicas.map((r) => r.waitReady()));
    const pods: [string, string[], string[]][] = [
      ["db1", ["db", "postgres"], ["test1"]],
      ["service1", ["service"], ["test1"]],
      ["db2", ["db"], ["test2"]],
      ["service2", ["service"], ["test2"]],
      ["shared", ["shared"], ["test1", "test2"]],
      ["db3", ["db"], ["test1"]],
    ];
    for (const [i, [name, aliases, networks]] of pods.entries()) {
      useReplica(i % 2); // each replica admits half the pods
      const created = await fake.createPod(kubedockPod(name, aliases, networks));
      assert.equal((created.spec as { dnsPolicy?: string }).dnsPolicy, "None");
    }
    const ip = (name: string) => fake.podIp(name, "ci");
    await eventually(() => pods.every(([name]) => !!ip(name)), "IPs");
    fake.setReady("db3", false);
    fake.deletePod("service2");
    await new Promise((r) => setTimeout(r, 300)); // both replicas have seen the events

    const queries: [string, string, string][] = [];
    for (const from of ["service1", "db2", "shared", "db1"]) {
      for (
        const name of [
          "db",
          "postgres",
          "service",
          "shared",
          "ext.example.test",
          "db.ci.svc.cluster.local",
        ]
      ) {
        queries.push([from, name, "A"]);
      }
      queries.push([from, `${ip("db1")!.split(".").reverse().join(".")}.in-addr.arpa`, "PTR"]);
    }
    queries.push(["service1", "db", "AAAA"], ["service1", "db", "MX"]);
    const compared = await Promise.all(queries.map(async ([from, name, type]) => {
      const [a, b] = await Promise.all(
        replicas.map((r) => dig(name, { server: r.dns, source: ip(from)!, type })),
      );
      return { what: `${type} ${name} from ${from}`, a: normalized(a), b: normalized(b) };
    }));
    for (const { what, a, b } of compared) assert.deepEqual(a, b, what);
    const dbFromService1 = compared.find((c) => c.what === "A db from service1")!;
    assert.deepEqual(dbFromService1.a.answers, [`A ${ip("db1")}`], "db3 is not ready: only db1");
    assert.equal(
      compared.filter((c) => c.a.answers.length > 0).length > 10,
      true,
      "the comparison covers real answers",
    );

    // an UPDATE that changes a network, and an invalid CREATE: each replica refuses the same way
    const messages: string[] = [];
    for (const i of [0, 1]) {
      useReplica(i);
      const pod = fake.store.get("pods", "ci", "db1");
      const changed = {
        ...pod,
        metadata: {
          ...pod.metadata,
          annotations: { ...pod.metadata!.annotations, "kubedock.network/0": "test2" },
        },
      };
      const update = await fake.updatePod(changed).then(() => "allowed", (e: Error) => e.message);
      const create = await fake.createPod(kubedockPod(`bad${i}`, ["db-"], ["x"])).then(
        () => "allowed",
        (e: Error) => e.message.replace(`bad${i}`, "bad"),
      );
      messages.push(`${update}\n${create}`);
    }
    assert.equal(messages[0], messages[1]);
    assert.match(messages[0], /may not be changed after creation/);
    assert.match(messages[0], /hostalias label "db-"/);
  } finally {
    for (const r of replicas) assert.equal(await r.stop(), 0);
    await api.stop();
    await dnsmasq.stop();
  }
});
