/**
 * The resolver matrix: real resolvers in real pod network namespaces, asking the way a test
 * container asks. A node of network namespaces (tests/helpers/netns.ts) holds kubedock-dns behind
 * a kube-proxy-style ClusterIP and dnsmasq as the cluster DNS behind another; pods come from the
 * fake API server; each client pod's resolv.conf is what kubelet writes from the webhook's
 * dnsConfig. In the client pods run glibc (getent), musl (static C), Go's own resolver, Node's
 * dns.lookup and dns.resolve4 (c-ares), busybox nslookup and Java's InetAddress. The test prints a
 * table of timings per resolver and case.
 *
 * Needs root (CI runs as root) and the resolvers .ci/run installs.
 */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../src/config/config.ts";
import { dnsPatch } from "../src/webhook/review.ts";
import { kubeletResolvConf, NODE_IP, type PodDnsConfig, TestNode } from "./helpers/netns.ts";
import { type Answer, ask, build, type Resolver, resolvers } from "./helpers/resolvers.ts";
import { clusterDns, type Replica, REPLICAS, startAgent } from "./helpers/matrix_agent.ts";

const WAIT_TIMEOUT_MS = 3_000;
const LAMEDUCK_MS = 3_000;
const KUBEDOCK_DNS_IP = "10.96.0.10";
const CLUSTER_DNS_IP = "10.96.0.11";
/** The ClusterIP of the cluster install (replica `c`, `--all-namespaces`). */
const CLUSTER_INSTALL_IP = "10.96.0.12";
const POSTGRES_IP = "10.96.0.20";
const NETWORK_1 = "5d2c".padEnd(64, "1");
const NETWORK_2 = "9f3a".padEnd(64, "2");
const DB_1 = "10.244.0.51";
const DB_2 = "10.244.0.52";
/** A second pod network in RFC 6598's shared space (EKS custom networking), in the default set. */
const CGN_GATEWAY = "100.64.0.1";
/** A pod network outside the permission set (RFC 2544's benchmarking range). */
const OUTSIDE_GATEWAY = "198.18.0.1";
const endpoint = (replica: Replica) => ({ hostname: NODE_IP, port: REPLICAS[replica] });

const pad = (text: string, width: number) => text.padEnd(width);
const ms = (answer: Answer) => `${Math.round(answer.ms)}`;

Deno.test("resolver matrix: real resolvers in pod network namespaces", async (t) => {
  const bin = await Deno.makeTempDir({ prefix: "kubedock-dns-resolvers-" });
  await build(bin);
  const node = await TestNode.create("kdt", [
    { clusterIp: KUBEDOCK_DNS_IP, port: 53, target: endpoint("a"), clientIpAffinity: true },
    { clusterIp: CLUSTER_DNS_IP, port: 53, target: { hostname: NODE_IP, port: 5353 } },
    { clusterIp: CLUSTER_INSTALL_IP, port: 53, target: endpoint("c"), clientIpAffinity: true },
  ], [`${CGN_GATEWAY}/24`, `${OUTSIDE_GATEWAY}/24`]);
  // two replicas behind the ClusterIP, new flows spread between them as kube-proxy does
  await node.setEndpoints(KUBEDOCK_DNS_IP, [endpoint("a"), endpoint("b")]);
  const agent = startAgent(node, {
    upstream: `${CLUSTER_DNS_IP}:53`,
    waitTimeoutMs: WAIT_TIMEOUT_MS,
    lameduckMs: LAMEDUCK_MS,
  });
  const table: Record<string, Record<string, string>> = {};
  const note = (resolver: Resolver, column: string, text: string) =>
    (table[resolver.name] ??= {})[column] = text;
  try {
    clusterDns(node, POSTGRES_IP);
    const resolvConf = (nameserver: string, namespace = "ci") =>
      kubeletResolvConf(
        (dnsPatch({}, namespace, {
          ...DEFAULT_CONFIG,
          ...clientOptions(),
          dnsServiceIp: nameserver,
        })[0].value as { dnsConfig: PodDnsConfig }).dnsConfig,
      );
    const c1 = await node.addPod("c1", "10.244.0.11", resolvConf(KUBEDOCK_DNS_IP));
    const c2 = await node.addPod("c2", "10.244.0.12", resolvConf(KUBEDOCK_DNS_IP));
    const direct = await node.addPod("direct", "10.244.0.13", resolvConf(CLUSTER_DNS_IP));
    await agent.ready;
    await agent.createPod("client1", ["client1"], [NETWORK_1], "10.244.0.11");
    await agent.createPod("client2", ["client2"], [NETWORK_2], "10.244.0.12");
    await agent.createPod("db1", ["db"], [NETWORK_1], DB_1);
    await agent.createPod("db2", ["db"], [NETWORK_2], DB_2);
    const all = resolvers(bin);

    await t.step("each network's pods get their own db", async () => {
      await Promise.all(all.map(async (r) => {
        const [one, two] = [
          await ask(node, c1, r, "lookup", "db"),
          await ask(node, c2, r, "lookup", "db"),
        ];
        assert.deepEqual(
          one.results,
          [DB_1],
          `${r.name} in network 1: ${one.run.stdout}${one.run.stderr}`,
        );
        assert.deepEqual(
          two.results,
          [DB_2],
          `${r.name} in network 2: ${two.run.stdout}${two.run.stderr}`,
        );
        note(r, "own db (ms)", `${ms(one)} / ${ms(two)}`);
      }));
    });

    await t.step(
      "a v4-only cluster Service's short name is as quick as from the cluster DNS",
      async () => {
        for (const r of all) {
          const viaCluster = await ask(node, direct, r, "lookup", "postgres");
          const viaUs = await ask(node, c1, r, "lookup", "postgres");
          if (r.searches) {
            assert.deepEqual(
              viaCluster.results,
              [POSTGRES_IP],
              `${r.name} direct: ${viaCluster.run.stderr}`,
            );
            assert.deepEqual(
              viaUs.results,
              [POSTGRES_IP],
              `${r.name}: ${viaUs.run.stdout}${viaUs.run.stderr}`,
            );
            assert.ok(
              viaUs.ms <= viaCluster.ms + 1_000,
              `${r.name}: ${Math.round(viaUs.ms)} ms through kubedock-dns, ${
                Math.round(viaCluster.ms)
              } ms direct`,
            );
          } else {
            // the bare name only: the cluster DNS does not know it either, and we hold it once
            assert.deepEqual(viaCluster.results, [], r.name);
            assert.deepEqual(viaUs.results, [], r.name);
            assert.ok(viaUs.ms < WAIT_TIMEOUT_MS + 2_500, `${r.name}: ${Math.round(viaUs.ms)} ms`);
          }
          note(
            r,
            "postgres: us / direct (ms)",
            `${ms(viaUs)} / ${ms(viaCluster)}${r.searches ? "" : " (both fail: bare name)"}`,
          );
        }
      },
    );

    await t.step("an unknown short name fails after one --wait-timeout, not more", async () => {
      await Promise.all(all.map(async (r, i) => {
        const answer = await ask(node, c1, r, "lookup", `nosuch${i}`);
        assert.deepEqual(answer.results, [], `${r.name}: ${answer.run.stdout}`);
        assert.ok(
          answer.ms < WAIT_TIMEOUT_MS + 2_500,
          `${r.name} failed after ${Math.round(answer.ms)} ms`,
        );
        assert.ok(
          answer.ms >= WAIT_TIMEOUT_MS - 300,
          `${r.name}: ${Math.round(answer.ms)} ms, not held?`,
        );
        note(r, "unknown (ms)", ms(answer));
      }));
    });

    /**
     * The race: every resolver in each client pod starts a lookup of `late<i>` before the pod
     * exists; the pods are created (not ready) 1 s later, each namespace's at `firstIp + i`, and
     * made Ready 300 ms after that. Each answer, checked, and how long after Ready it came.
     */
    const race = async (clients: { pod: string; namespace: string; firstIp: number }[]) => {
      const lookups = all.map((r, i) =>
        clients.map((client) => ask(node, client.pod, r, "lookup", `late${i}`))
      );
      await new Promise((r) => setTimeout(r, 1_000));
      for (let i = 0; i < all.length; i++) {
        for (const { namespace, firstIp } of clients) {
          const ip = `10.244.0.${firstIp + i}`;
          await agent.createPod(`late${i}`, [`late${i}`], [NETWORK_1], ip, false, namespace);
        }
      }
      await new Promise((r) => setTimeout(r, 300));
      const readyAt = performance.now();
      await Promise.all(
        all.flatMap((_, i) => clients.map((c) => agent.setReady(`late${i}`, c.namespace))),
      );
      return await Promise.all(all.map(async (r, i) => {
        const answers = await Promise.all(lookups[i]);
        const afterReady = answers.map((answer, c) => {
          assert.deepEqual(
            answer.results,
            [`10.244.0.${clients[c].firstIp + i}`],
            `${r.name} in ${clients[c].namespace}: ${answer.run.stdout}${answer.run.stderr}`,
          );
          return answer.endedAt - readyAt;
        });
        return Math.max(0, ...afterReady);
      }));
    };

    await t.step(
      "a lookup started before the pod exists is answered right after Ready",
      async () => {
        // c-ares asks the bare name only: it is held too (docs/dns.md)
        const afterReady = await race([{ pod: c1, namespace: "ci", firstIp: 100 }]);
        all.forEach((r, i) => {
          assert.ok(
            afterReady[i] < 1_000,
            `${r.name} answered ${Math.round(afterReady[i])} ms after Ready`,
          );
          note(r, "race: after Ready (ms)", `${Math.round(afterReady[i])}`);
        });
      },
    );

    await t.step("PTR of a peer names it; of another network's pod it does not", async () => {
      await Promise.all(all.map(async (r) => {
        const peer = await ask(node, c1, r, "reverse", DB_1);
        const other = await ask(node, c2, r, "reverse", DB_1);
        assert.ok(peer.results.includes("db"), `${r.name}: ${peer.run.stdout}${peer.run.stderr}`);
        assert.ok(!other.results.includes("db"), `${r.name} across networks: ${other.run.stdout}`);
        note(r, "PTR peer / other (ms)", `${ms(peer)} / ${ms(other)}`);
      }));
    });

    await t.step("a pod on 100.64.0.0/10 resolves its db under the production set", async () => {
      const cgn = await node.addPod("cgn", "100.64.0.11", resolvConf(KUBEDOCK_DNS_IP), CGN_GATEWAY);
      await agent.createPod("cgn1", ["cgn1"], [NETWORK_1], "100.64.0.11");
      await Promise.all(all.map(async (r) => {
        const answer = await ask(node, cgn, r, "lookup", "db");
        assert.deepEqual(
          answer.results,
          [DB_1],
          `${r.name}: ${answer.run.stdout}${answer.run.stderr}`,
        );
        note(r, "db from 100.64/10 (ms)", ms(answer));
      }));
    });

    await t.step(
      "a pod outside the set: the error line and the metric, within one query",
      async () => {
        const outside = await node.addPod(
          "outside",
          "198.18.0.11",
          resolvConf(KUBEDOCK_DNS_IP),
          OUTSIDE_GATEWAY,
        );
        await agent.createPod("outside1", ["outside1"], [NETWORK_1], "198.18.0.11");
        const denied = async () => {
          let sum = 0;
          for (const replica of ["a", "b"] as const) {
            sum += Number(
              /^kubedock_dns_replies_denied_total (\d+)/m.exec(await agent.metrics(replica))?.[1],
            );
          }
          return sum;
        };
        assert.equal(await denied(), 0);
        const one = await node.exec(outside, "dig", [
          ...[`@${KUBEDOCK_DNS_IP}`, "db", "+tries=1", "+timeout=2", "+short"],
        ]);
        assert.notEqual(one.code, 0, `no answer reaches it: ${one.stdout}`);
        assert.equal(await denied(), 1, "kubedock_dns_replies_denied_total counted the one reply");
        const logs = (await agent.replicaLogs("a")) + (await agent.replicaLogs("b"));
        assert.match(
          logs,
          /reply to "198\.18\.0\.11" refused by the net permission set: that address is outside it .*POD_NETWORKS/,
        );
      },
    );

    await t.step("two namespaces, one --all-namespaces replica: each its own db", async () => {
      // the same network id and the same aliases in team-a and team-b
      const [ta, tb] = [
        await node.addPod("ta", "10.244.0.61", resolvConf(CLUSTER_INSTALL_IP, "team-a")),
        await node.addPod("tb", "10.244.0.62", resolvConf(CLUSTER_INSTALL_IP, "team-b")),
      ];
      await agent.createPod("client1", ["client1"], [NETWORK_1], "10.244.0.61", true, "team-a");
      await agent.createPod("client1", ["client1"], [NETWORK_1], "10.244.0.62", true, "team-b");
      await agent.createPod("db1", ["db"], [NETWORK_1], "10.244.0.71", true, "team-a");
      await agent.createPod("db1", ["db"], [NETWORK_1], "10.244.0.72", true, "team-b");
      await Promise.all(all.map(async (r) => {
        const a = await ask(node, ta, r, "lookup", "db");
        const b = await ask(node, tb, r, "lookup", "db");
        assert.deepEqual(
          a.results,
          ["10.244.0.71"],
          `${r.name} in team-a: ${a.run.stdout}${a.run.stderr}`,
        );
        assert.deepEqual(
          b.results,
          ["10.244.0.72"],
          `${r.name} in team-b: ${b.run.stdout}${b.run.stderr}`,
        );
        const peer = await ask(node, ta, r, "reverse", "10.244.0.71");
        const across = await ask(node, ta, r, "reverse", "10.244.0.72");
        assert.ok(peer.results.includes("db"), `${r.name}: ${peer.run.stdout}${peer.run.stderr}`);
        assert.ok(
          !across.results.includes("db"),
          `${r.name} across namespaces: ${across.run.stdout}`,
        );
        note(r, "2 namespaces: db a / b (ms)", `${ms(a)} / ${ms(b)}`);
      }));
      // the race, in both namespaces at once
      const afterReady = await race([
        { pod: ta, namespace: "team-a", firstIp: 150 },
        { pod: tb, namespace: "team-b", firstIp: 170 },
      ]);
      all.forEach((r, i) => {
        assert.ok(afterReady[i] < 1_500, `${r.name}: ${Math.round(afterReady[i])} ms after Ready`);
      });
    });

    await t.step("rollout: SIGTERM a replica, then the other; no lookup lost or slow", async () => {
      const emptyRow = () => ({
        lookups: 0,
        failed: 0,
        maxMs: 0,
        worst: "",
        times: [] as number[],
      });
      const tally = new Map(all.map((r) => [r.name, emptyRow()]));
      let running = true;
      const loops = all.map(async (r) => {
        const row = tally.get(r.name)!;
        const deadline = performance.now() + 60_000; // bounded in time and count
        while (running && performance.now() < deadline && row.lookups < 2_000) {
          await new Promise((resolve) => setTimeout(resolve, 20)); // paced: the whole rollout long
          const answer = await ask(node, c1, r, "lookup", "db");
          row.lookups++;
          if (answer.results.join() !== DB_1) {
            row.failed++;
            row.worst = `${answer.run.stdout}${answer.run.stderr}`.slice(0, 300);
          }
          row.maxMs = Math.max(row.maxMs, answer.ms);
          row.times.push(answer.ms);
        }
      });
      const phases: string[] = [];
      const rollOut = async (replica: Replica, other: Replica) => {
        const signalledAt = performance.now();
        await agent.terminate(replica);
        // kube-proxy removes the endpoint a while later (new flows still reach it until then) and
        // clears the UDP flows tracked to it as it does for any removed UDP endpoint: a flow kept
        // to it would reach a closed port once it exits, and lose a lookup to the resolver's timeout
        await new Promise((r) => setTimeout(r, 1_000));
        await node.setEndpoints(KUBEDOCK_DNS_IP, [endpoint(other)]);
        await node.flushFlows(KUBEDOCK_DNS_IP, endpoint(replica));
        const code = await agent.exited(replica);
        const exitedMs = performance.now() - signalledAt;
        await node.flushFlows(KUBEDOCK_DNS_IP, endpoint(replica)); // its flows are gone with it
        assert.equal(code, 0, `replica ${replica} exit code`);
        assert.ok(exitedMs < LAMEDUCK_MS + 5_000, `replica ${replica} exited after ${exitedMs} ms`);
        await agent.start(replica); // the Deployment's new pod, ready
        await node.setEndpoints(KUBEDOCK_DNS_IP, [endpoint("a"), endpoint("b")]);
        phases.push(
          `${replica}: exited ${Math.round(exitedMs)} ms after SIGTERM, back ${
            Math.round(performance.now() - signalledAt)
          } ms after`,
        );
      };
      try {
        await new Promise((r) => setTimeout(r, 500));
        await rollOut("a", "b");
        await rollOut("b", "a");
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        running = false;
        await Promise.all(loops);
      }
      console.log(
        [
          `\nrollout (lameduck ${LAMEDUCK_MS} ms; endpoint removed 1 s after SIGTERM): ${
            phases.join("; ")
          }`,
          "| resolver | lookups | failed | slowest (ms) |",
          "|---|---|---|---|",
          ...all.map((r) => {
            const row = tally.get(r.name)!;
            return `| ${r.name} | ${row.lookups} | ${row.failed} | ${Math.round(row.maxMs)} |`;
          }),
        ].join("\n"),
      );
      for (const r of all) {
        const row = tally.get(r.name)!;
        assert.ok(row.lookups >= 3, `${r.name} looked up during the rollout: ${row.lookups}`);
        assert.equal(row.failed, 0, `${r.name}: ${row.failed} failed, e.g. ${row.worst}`);
        // slow: a second over the resolver's own median (a process start of Node or Java alone
        // is about half a second here, and a lost query costs the client's timeout, 15-30 s)
        const median = [...row.times].sort((a, b) => a - b)[Math.floor(row.times.length / 2)];
        assert.ok(
          row.maxMs < median + 1_000,
          `${r.name}: slowest lookup ${Math.round(row.maxMs)} ms, median ${Math.round(median)} ms`,
        );
        note(r, "rollout: lookups / slowest (ms)", `${row.lookups} / ${Math.round(row.maxMs)}`);
      }
    });

    const columns = [...new Set(Object.values(table).flatMap((row) => Object.keys(row)))];
    const width = Math.max(...all.map((r) => r.name.length));
    console.log(
      [
        `\nresolver matrix (--wait-timeout ${WAIT_TIMEOUT_MS} ms):`,
        `| ${pad("resolver", width)} | ${columns.join(" | ")} |`,
        `|${"-".repeat(width + 2)}|${columns.map((c) => "-".repeat(c.length + 2)).join("|")}|`,
        ...all.map((r) =>
          `| ${pad(r.name, width)} | ${
            columns.map((c) => pad(table[r.name]?.[c] ?? "", c.length)).join(" | ")
          } |`
        ),
      ].join("\n"),
    );
  } finally {
    await agent.close();
    await node.destroy();
    await Deno.remove(bin, { recursive: true });
  }
});

function clientOptions() {
  return {
    ndots: DEFAULT_CONFIG.clientNdots,
    timeout: DEFAULT_CONFIG.clientTimeout,
    attempts: DEFAULT_CONFIG.clientAttempts,
  };
}
