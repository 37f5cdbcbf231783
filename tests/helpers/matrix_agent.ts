/**
 * The resolver matrix's node agent (tests/fixtures/matrix_node.ts) as seen from the test, and the
 * cluster DNS (dnsmasq) beside it in the node's namespace.
 */
import { dnsmasqArgs } from "../../src/testing/dnsmasq.ts";
import { agentClient } from "./agent_protocol.ts";
import { NODE_IP, type TestNode } from "./netns.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/**
 * The replicas of kubedock-dns the agent runs: their name and DNS port on the node's address;
 * `a` and `b` serve namespace `ci`, `c` runs with `--all-namespaces`.
 */
export const REPLICAS = { a: 1053, b: 1054, c: 1055 } as const;

/** A replica's name. */
export type Replica = keyof typeof REPLICAS;

/** What the agent is started with. */
export interface AgentOptions {
  /** The cluster DNS, as kubedock-dns's `--upstream`. */
  upstream: string;
  waitTimeoutMs: number;
  lameduckMs: number;
}

/**
 * The node agent (tests/fixtures/matrix_node.ts): one JSON line out per JSON line in. It runs
 * the fake API server and the two replicas of REPLICAS, under the production permission set.
 */
export function startAgent(node: TestNode, options: AgentOptions) {
  const child = node.spawn(node.nodeNs, "deno", [
    "run",
    "--no-prompt",
    `--allow-net=127.0.0.0/8,0.0.0.0,${NODE_IP}`,
    "--allow-run=deno",
    "--allow-read=.,/tmp",
    "--allow-write=/tmp,./kubeconfig.yaml",
    "--allow-env=LOG_STREAM,LOG_TOKENS",
    `${ROOT}tests/fixtures/matrix_node.ts`,
    NODE_IP,
    options.upstream,
    `${options.waitTimeoutMs}ms`,
    `${options.lameduckMs}ms`,
  ], { cwd: ROOT, stdin: "piped", stdout: "piped", stderr: "piped" });
  const { ready, send, logs, close } = agentClient(child);
  return {
    ready,
    logs,
    createPod: (
      name: string,
      aliases: string[],
      networks: string[],
      ip: string,
      ready = true,
      namespace = "ci",
    ) => send({ op: "create", name, aliases, networks, ip, ready, namespace }),
    setReady: (name: string, namespace = "ci") => send({ op: "ready", name, namespace }),
    metrics: async (replica: Replica) => (await send({ op: "metrics", replica })).text as string,
    /** SIGTERM to a replica (a rollout or a drain); does not wait for it to end. */
    terminate: (replica: Replica) => send({ op: "terminate", replica }),
    /** Waits until the replica has exited; its exit code. */
    exited: async (replica: Replica) => (await send({ op: "exited", replica })).code as number,
    /** Starts the replica again and waits until it is ready. */
    start: (replica: Replica) => send({ op: "start", replica }),
    replicaLogs: async (replica: Replica) => (await send({ op: "logs", replica })).text as string,
    /**
     * Ends the agent: it stops the replicas and the fake API server and removes the kubeconfig it
     * wrote. Waits for that, at most `timeoutMs` (the node's `destroy()` kills what is left).
     */
    close,
  };
}

/**
 * The cluster DNS: dnsmasq on the node's address, port 5353, knowing the cluster Services
 * `postgres` (at `postgresIp`) and `kubernetes.default`.
 */
export function clusterDns(node: TestNode, postgresIp: string) {
  return node.spawn(node.nodeNs, "dnsmasq", [
    ...dnsmasqArgs({ hostname: NODE_IP, port: 5353 }),
    "--bogus-priv",
    // cluster Services, v4 only (their AAAA is NOERROR without data, as with CoreDNS)
    `--host-record=postgres.ci.svc.cluster.local,${postgresIp}`,
    "--host-record=kubernetes.default.svc.cluster.local,10.96.0.1",
    "--address=/#/", // every other name: NXDOMAIN, as the cluster DNS and the world would say
  ], { stdout: "null", stderr: "null" });
}
