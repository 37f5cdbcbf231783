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
import { dnsmasqArgs } from "../src/testing/dnsmasq.ts";
import {
  kubeletResolvConf,
  NODE_IP,
  type PodDnsConfig,
  type Run,
  TestNode,
} from "./helpers/netns.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const WAIT_TIMEOUT_MS = 3_000;
const KUBEDOCK_DNS_IP = "10.96.0.10";
const CLUSTER_DNS_IP = "10.96.0.11";
const POSTGRES_IP = "10.96.0.20";
const NETWORK_1 = "5d2c".padEnd(64, "1");
const NETWORK_2 = "9f3a".padEnd(64, "2");
const DB_1 = "10.244.0.51";
const DB_2 = "10.244.0.52";

type Mode = "lookup" | "reverse";

/** One resolver: how to ask it, and how to read what it printed. */
interface Resolver {
  name: string;
  argv(mode: Mode, arg: string): [string, string[]];
  parse?(mode: Mode, stdout: string): string[];
  /** False for c-ares' resolve4, which asks the bare name only (no search list). */
  searches: boolean;
}

const lines = (text: string) => text.split("\n").map((l) => l.trim()).filter(Boolean);

function resolvers(bin: string): Resolver[] {
  const mjs = `${ROOT}tests/fixtures/resolvers/resolve.mjs`;
  return [
    {
      name: "glibc getent",
      argv: (mode, arg) => ["getent", [mode === "lookup" ? "ahosts" : "hosts", arg]],
      parse: (mode, out) =>
        mode === "lookup"
          ? [...new Set(lines(out).map((l) => l.split(/\s+/)[0]))]
          : lines(out).flatMap((l) => l.split(/\s+/).slice(1)),
      searches: true,
    },
    { name: "musl", argv: (mode, arg) => [`${bin}/resolve-musl`, [mode, arg]], searches: true },
    { name: "Go (pure)", argv: (mode, arg) => [`${bin}/resolve-go`, [mode, arg]], searches: true },
    {
      name: "Node dns.lookup",
      argv: (mode, arg) => ["node", [mjs, mode === "lookup" ? "lookup" : "reverse-lookup", arg]],
      searches: true,
    },
    {
      name: "Node dns.resolve4 (c-ares)",
      argv: (mode, arg) => ["node", [mjs, mode === "lookup" ? "resolve4" : "reverse-resolve", arg]],
      searches: false,
    },
    {
      name: "busybox nslookup",
      argv: (_, arg) => ["busybox", ["nslookup", arg]],
      parse: (mode, out) => {
        if (mode === "reverse") {
          return lines(out).flatMap((l) => /name = (\S+?)\.?$/.exec(l)?.[1] ?? []);
        }
        const found: string[] = [];
        let inAnswer = false;
        for (const line of lines(out)) {
          if (line.startsWith("Name:")) inAnswer = true;
          const address = /^Address:\s*(\S+)$/.exec(line)?.[1];
          if (inAnswer && address) found.push(address);
        }
        return [...new Set(found)];
      },
      searches: true,
    },
    {
      name: "Java InetAddress",
      argv: (mode, arg) => [
        "java",
        ["-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", bin, "Resolve", mode, arg],
      ],
      searches: true,
    },
  ];
}

/** What one resolver said, with the time it took. */
interface Answer {
  results: string[];
  ms: number;
  /** `performance.now()` when it answered. */
  endedAt: number;
  run: Run;
}

async function ask(node: TestNode, ns: string, resolver: Resolver, mode: Mode, arg: string) {
  const [command, args] = resolver.argv(mode, arg);
  const run = await node.exec(ns, command, args);
  const results = run.code === 0 || resolver.parse
    ? (resolver.parse?.(mode, run.stdout) ?? lines(run.stdout)).map((r) => r.replace(/\.$/, ""))
    : [];
  return { results, ms: run.elapsedMs, endedAt: performance.now(), run } satisfies Answer;
}

async function build(dir: string): Promise<void> {
  const source = `${ROOT}tests/fixtures/resolvers`;
  const steps: [string, string[], Record<string, string>?][] = [
    ["musl-gcc", ["-static", "-O2", "-o", `${dir}/resolve-musl`, `${source}/resolve.c`]],
    ["go", ["build", "-o", `${dir}/resolve-go`, `${source}/resolve.go`], {
      CGO_ENABLED: "0",
      GOCACHE: "/tmp/kubedock-dns-gocache",
      GOPATH: `${dir}/gopath`,
      GOFLAGS: "-mod=mod",
      GO111MODULE: "off",
      HOME: dir,
    }],
    ["javac", ["-d", dir, `${source}/Resolve.java`]],
  ];
  await Promise.all(steps.map(async ([command, args, env]) => {
    const output = await new Deno.Command(command, { args, env, stdout: "piped", stderr: "piped" })
      .output()
      .catch((error) => {
        throw new Error(`${command} is needed for the resolver matrix (.ci/run installs it)`, {
          cause: error,
        });
      });
    if (!output.success) {
      throw new Error(`${command} failed: ${new TextDecoder().decode(output.stderr)}`);
    }
  }));
}

/** The node agent (tests/fixtures/matrix_node.ts): one JSON line out per JSON line in. */
function startAgent(node: TestNode) {
  const child = node.spawn(node.nodeNs, "deno", [
    "run",
    "--no-prompt",
    `--allow-net=127.0.0.0/8,0.0.0.0,${NODE_IP}`,
    "--allow-run=deno",
    "--allow-read=.,/tmp",
    "--allow-write=/tmp",
    "--allow-env=LOG_STREAM,LOG_TOKENS",
    `${ROOT}tests/fixtures/matrix_node.ts`,
    NODE_IP,
    `${CLUSTER_DNS_IP}:53`,
    `${WAIT_TIMEOUT_MS}ms`,
  ], { cwd: ROOT, stdin: "piped", stdout: "piped", stderr: "piped" });
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let logs = "";
  (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) logs += chunk;
  })();
  let buffered = "";
  const nextLine = async (): Promise<Record<string, unknown>> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the node agent ended:\n${logs}`);
      buffered += value;
    }
    const newline = buffered.indexOf("\n");
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    return JSON.parse(line);
  };
  let queue = Promise.resolve<unknown>(undefined);
  const send = (command: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const answer = queue.then(async () => {
      await writer.write(new TextEncoder().encode(`${JSON.stringify(command)}\n`));
      const reply = await nextLine();
      if (!reply.ok) throw new Error(`agent: ${reply.error}\n${logs}`);
      return reply;
    });
    queue = answer.catch(() => {});
    return answer;
  };
  return {
    ready: nextLine(),
    logs: () => logs,
    createPod: (name: string, aliases: string[], networks: string[], ip: string, ready = true) =>
      send({ op: "create", name, aliases, networks, ip, ready }),
    setReady: (name: string) => send({ op: "ready", name }),
    metrics: async () => (await send({ op: "metrics" })).text as string,
    close: () => writer.close().catch(() => {}),
  };
}

function clusterDns(node: TestNode) {
  return node.spawn(node.nodeNs, "dnsmasq", [
    ...dnsmasqArgs({ hostname: NODE_IP, port: 5353 }),
    "--bogus-priv",
    // cluster Services, v4 only (their AAAA is NOERROR without data, as with CoreDNS)
    `--host-record=postgres.ci.svc.cluster.local,${POSTGRES_IP}`,
    "--host-record=kubernetes.default.svc.cluster.local,10.96.0.1",
    "--address=/#/", // every other name: NXDOMAIN, as the cluster DNS and the world would say
  ], { stdout: "null", stderr: "null" });
}

const pad = (text: string, width: number) => text.padEnd(width);
const ms = (answer: Answer) => `${Math.round(answer.ms)}`;

Deno.test("resolver matrix: real resolvers in pod network namespaces", async (t) => {
  const bin = await Deno.makeTempDir({ prefix: "kubedock-dns-resolvers-" });
  await build(bin);
  const node = await TestNode.create("kdt", [
    { clusterIp: KUBEDOCK_DNS_IP, port: 53, target: { hostname: NODE_IP, port: 1053 } },
    { clusterIp: CLUSTER_DNS_IP, port: 53, target: { hostname: NODE_IP, port: 5353 } },
  ]);
  const agent = startAgent(node);
  const table: Record<string, Record<string, string>> = {};
  const note = (resolver: Resolver, column: string, text: string) =>
    (table[resolver.name] ??= {})[column] = text;
  try {
    clusterDns(node);
    const resolvConf = (nameserver: string) =>
      kubeletResolvConf(
        (dnsPatch({}, "ci", { ...DEFAULT_CONFIG, ...clientOptions(), dnsServiceIp: nameserver })[0]
          .value as { dnsConfig: PodDnsConfig }).dnsConfig,
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
          } else {
            // the bare name only: the cluster DNS does not know it either
            assert.deepEqual(viaCluster.results, [], r.name);
            assert.deepEqual(viaUs.results, [], r.name);
          }
          assert.ok(
            viaUs.ms <= viaCluster.ms + 1_000,
            `${r.name}: ${Math.round(viaUs.ms)} ms through kubedock-dns, ${
              Math.round(viaCluster.ms)
            } ms direct`,
          );
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
          answer.ms < WAIT_TIMEOUT_MS + 1_500,
          `${r.name} failed after ${Math.round(answer.ms)} ms`,
        );
        if (r.searches) {
          assert.ok(
            answer.ms >= WAIT_TIMEOUT_MS - 300,
            `${r.name}: ${Math.round(answer.ms)} ms, not held?`,
          );
        }
        note(r, "unknown (ms)", ms(answer));
      }));
    });

    await t.step(
      "a lookup started before the pod exists is answered right after Ready",
      async () => {
        const lookups = all.map((r, i) => ask(node, c1, r, "lookup", `late${i}`));
        await new Promise((r) => setTimeout(r, 1_000));
        for (let i = 0; i < all.length; i++) {
          await agent.createPod(
            `late${i}`,
            [`late${i}`],
            [NETWORK_1],
            `10.244.0.${100 + i}`,
            false,
          );
        }
        await new Promise((r) => setTimeout(r, 300));
        const readyAt = performance.now();
        await Promise.all(all.map((_, i) => agent.setReady(`late${i}`)));
        const answers = await Promise.all(lookups);
        answers.forEach((answer, i) => {
          const r = all[i];
          if (!r.searches) {
            // asks the bare name only, which is never held (docs/dns.md): fails at once
            assert.deepEqual(answer.results, [], r.name);
            note(r, "race: after Ready (ms)", "n/a (bare name, not held)");
            return;
          }
          assert.deepEqual(
            answer.results,
            [`10.244.0.${100 + i}`],
            `${r.name}: ${answer.run.stdout}${answer.run.stderr}`,
          );
          const afterReady = answer.endedAt - readyAt;
          assert.ok(
            afterReady < 1_000,
            `${r.name} answered ${Math.round(afterReady)} ms after Ready`,
          );
          note(r, "race: after Ready (ms)", `${Math.max(0, Math.round(afterReady))}`);
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
