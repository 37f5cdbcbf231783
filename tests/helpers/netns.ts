/**
 * A small Kubernetes node made of Linux network namespaces, for tests that need real resolvers
 * in real pod network namespaces (root only). A "node" namespace holds a bridge with the node's
 * pod-network address and the kube-proxy-style DNAT rules from ClusterIPs to the servers behind
 * them; each pod gets its own namespace, a veth on the bridge, a default route and its own
 * `/etc/netns/<name>/resolv.conf` (which `ip netns exec` shows the pod as /etc/resolv.conf).
 *
 * Every address lives inside namespaces this helper creates; nothing is added to the host's
 * namespace. `destroy()` removes every namespace, rule, file and process, also after a failure,
 * and `create()` first removes what a killed earlier run may have left.
 */

/** The node's address on the pod network (the pods' default gateway). */
export const NODE_IP = "10.244.0.1";

/** A ClusterIP and the node-local address it is DNATed to. */
export interface ServiceRule {
  clusterIp: string;
  port: number;
  target: { hostname: string; port: number };
  /**
   * `sessionAffinity: ClientIP`: a client keeps its endpoint while that endpoint stays (kube-proxy's
   * `recent` lists, 10800 s).
   */
  clientIpAffinity?: boolean;
}

/** What one command printed, its exit code and how long it took. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

async function ip(...args: string[]): Promise<Run> {
  return await run("ip", args);
}

/** Longest any one command may take before it is killed (a resolver retrying for ever). */
const COMMAND_TIMEOUT_MS = 60_000;

async function run(command: string, args: string[], env?: Record<string, string>): Promise<Run> {
  const started = performance.now();
  const child = new Deno.Command(command, { args, env, stdout: "piped", stderr: "piped" }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
  }, COMMAND_TIMEOUT_MS);
  const output = await child.output().finally(() => clearTimeout(timer));
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    elapsedMs: performance.now() - started,
  };
}

async function must(result: Promise<Run>, what: string): Promise<Run> {
  const done = await result;
  if (done.code !== 0) throw new Error(`${what} failed (${done.code}): ${done.stderr}`);
  return done;
}

/** The node and its pods. */
export class TestNode {
  readonly prefix: string;
  readonly nodeNs: string;
  readonly #pods = new Map<string, string>();
  readonly #children = new Set<Deno.ChildProcess>();
  /** ClusterIP → its chain of DNAT rules */
  readonly #chains = new Map<string, { chain: string; port: number; affinity: boolean }>();
  #nextVeth = 0;

  private constructor(prefix: string) {
    this.prefix = prefix;
    this.nodeNs = `${prefix}-node`;
  }

  /**
   * Builds the node namespace, its bridge (with `NODE_IP` and every address of `gateways`, such
   * as `100.64.0.1/24` for a second pod network) and `services` rules (after removing leftovers).
   */
  static async create(
    prefix: string,
    services: ServiceRule[],
    gateways: string[] = [],
  ): Promise<TestNode> {
    await TestNode.removeLeftovers(prefix);
    const node = new TestNode(prefix);
    try {
      const ns = node.nodeNs;
      await must(ip("netns", "add", ns), "ip netns add");
      await must(ip("-n", ns, "link", "set", "lo", "up"), "lo up");
      await must(ip("-n", ns, "link", "add", "br0", "type", "bridge"), "bridge");
      await must(ip("-n", ns, "addr", "add", `${NODE_IP}/24`, "dev", "br0"), "bridge address");
      await must(ip("-n", ns, "link", "set", "br0", "up"), "bridge up");
      for (const gateway of gateways) {
        await must(ip("-n", ns, "addr", "add", gateway, "dev", "br0"), "bridge address");
      }
      for (const [i, rule] of services.entries()) {
        // the node's own packets need a route to the ClusterIP before OUTPUT can DNAT them
        await must(ip("-n", ns, "route", "replace", `${rule.clusterIp}/32`, "dev", "br0"), "route");
        const chain = `KDT-SVC-${i}`;
        node.#chains.set(rule.clusterIp, {
          chain,
          port: rule.port,
          affinity: rule.clientIpAffinity ?? false,
        });
        await must(node.exec(ns, "iptables", ["-t", "nat", "-N", chain]), "iptables chain");
        // PREROUTING for the pods' packets, OUTPUT for the node's own (as kube-proxy does)
        for (const hook of ["PREROUTING", "OUTPUT"]) {
          for (const protocol of ["udp", "tcp"]) {
            await must(
              node.exec(ns, "iptables", [
                ...["-t", "nat", "-A", hook, "-d", rule.clusterIp, "-p", protocol],
                ...["--dport", String(rule.port), "-j", chain],
              ]),
              "iptables jump",
            );
          }
        }
        await node.setEndpoints(rule.clusterIp, [rule.target]);
      }
      return node;
    } catch (error) {
      await node.destroy();
      throw error;
    }
  }

  /** Removes namespaces and resolv.conf folders named `<prefix>-*` (a killed run's). */
  static async removeLeftovers(prefix: string): Promise<void> {
    const listed = await ip("netns", "list");
    for (const line of listed.stdout.split("\n")) {
      const ns = line.split(" ")[0];
      if (ns.startsWith(`${prefix}-`)) await TestNode.#removeNamespace(ns);
    }
    try {
      for await (const entry of Deno.readDir("/etc/netns")) {
        if (entry.name.startsWith(`${prefix}-`)) {
          await Deno.remove(`/etc/netns/${entry.name}`, { recursive: true });
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }

  static async #removeNamespace(ns: string): Promise<void> {
    const pids = (await ip("netns", "pids", ns)).stdout.split("\n").filter(Boolean);
    if (pids.length > 0) await run("kill", ["-KILL", ...pids]);
    await ip("netns", "del", ns);
  }

  /**
   * The endpoints behind a ClusterIP, as kube-proxy writes them: each new flow goes to one of
   * `targets` at random (probability 1/n, then 1/(n-1), ..., the last unconditional), or with
   * client-IP affinity to the endpoint the client had while it stays, replaced in
   * one `iptables-restore` so that no packet meets a half-written chain. No targets: packets
   * to the ClusterIP are dropped, as when a Service has no ready endpoint. Flows already tracked
   * keep their endpoint (kube-proxy does not cut TCP connections either).
   */
  async setEndpoints(
    clusterIp: string,
    targets: { hostname: string; port: number }[],
  ): Promise<void> {
    const { chain, affinity } = this.#chains.get(clusterIp)!;
    const endpointChain = (target: { port: number }) => `${chain}-${target.port}`;
    const rules = [
      `*nat`,
      `:${chain} - [0:0]`,
      ...targets.map((t) => `:${endpointChain(t)} - [0:0]`),
    ];
    const recent = (target: { port: number }) =>
      `-m recent --name ${endpointChain(target)} --mask 255.255.255.255 --rsource`;
    if (affinity) {
      // a client seen lately goes back to its endpoint (as kube-proxy writes sessionAffinity)
      for (const target of targets) {
        rules.push(
          `-A ${chain} ${recent(target)} --rcheck --seconds 10800 --reap -j ${
            endpointChain(target)
          }`,
        );
      }
    }
    targets.forEach((target, i) => {
      const left = targets.length - i;
      const random = left > 1
        ? ` -m statistic --mode random --probability ${(1 / left).toFixed(5)}`
        : "";
      rules.push(`-A ${chain}${random} -j ${endpointChain(target)}`);
      for (const protocol of ["udp", "tcp"]) {
        rules.push(
          `-A ${endpointChain(target)} -p ${protocol}${
            affinity ? ` ${recent(target)} --set` : ""
          } -j DNAT --to-destination ${target.hostname}:${target.port}`,
        );
      }
    });
    if (targets.length === 0) rules.push(`-A ${chain} -j DROP`);
    rules.push("COMMIT", "");
    const file = await Deno.makeTempFile({ prefix: `${this.prefix}-rules-` });
    try {
      await Deno.writeTextFile(file, rules.join("\n"));
      await must(
        this.exec(this.nodeNs, "iptables-restore", ["--noflush", file]),
        "iptables-restore",
      );
    } finally {
      await Deno.remove(file);
    }
  }

  /**
   * Forgets the node's UDP flows from `clusterIp` to `target`, as kube-proxy does for an
   * endpoint that is gone: otherwise a new query whose source port happens to repeat an old
   * flow's (ephemeral ports collide within conntrack's 30 s) still goes to the dead endpoint.
   */
  async flushFlows(clusterIp: string, target: { hostname: string; port: number }): Promise<void> {
    const flushed = await this.exec(this.nodeNs, "conntrack", [
      ...["-D", "-p", "udp", "--orig-dst", clusterIp],
      ...["--reply-src", target.hostname, "--reply-port-src", String(target.port)],
    ]);
    // exit 1 with "0 flow entries have been deleted" when there were none
    if (flushed.code !== 0 && !/0 flow entries/.test(flushed.stderr)) {
      throw new Error(`conntrack -D failed (${flushed.code}): ${flushed.stderr}`);
    }
  }

  /**
   * Adds a pod namespace with `address` on the bridge and `resolvConf` as its resolv.conf (its
   * default route via `gateway`, the bridge's address on its network); returns the namespace's
   * name.
   */
  async addPod(
    name: string,
    address: string,
    resolvConf: string,
    gateway = NODE_IP,
  ): Promise<string> {
    const ns = `${this.prefix}-${name}`;
    const veth = `${this.prefix}v${this.#nextVeth++}`;
    this.#pods.set(name, ns);
    await must(ip("netns", "add", ns), `ip netns add ${ns}`);
    await must(ip("-n", ns, "link", "set", "lo", "up"), "lo up");
    await must(
      ip(
        "link",
        "add",
        "eth0",
        "netns",
        ns,
        "type",
        "veth",
        "peer",
        "name",
        veth,
        "netns",
        this.nodeNs,
      ),
      "veth pair",
    );
    await must(ip("-n", this.nodeNs, "link", "set", veth, "master", "br0", "up"), "veth on bridge");
    await must(ip("-n", ns, "addr", "add", `${address}/24`, "dev", "eth0"), "pod address");
    await must(ip("-n", ns, "link", "set", "eth0", "up"), "eth0 up");
    await must(ip("-n", ns, "route", "add", "default", "via", gateway), "default route");
    await Deno.mkdir(`/etc/netns/${ns}`, { recursive: true });
    await Deno.writeTextFile(`/etc/netns/${ns}/resolv.conf`, resolvConf);
    return ns;
  }

  /** Runs a command inside a namespace and waits for it. */
  exec(ns: string, command: string, args: string[], env?: Record<string, string>): Promise<Run> {
    return run("ip", ["netns", "exec", ns, command, ...args], env);
  }

  /** Starts a long-running command inside a namespace; `destroy()` ends it. */
  spawn(
    ns: string,
    command: string,
    args: string[],
    options: Omit<Deno.CommandOptions, "args"> = {},
  ): Deno.ChildProcess {
    const child = new Deno.Command("ip", {
      ...options,
      args: ["netns", "exec", ns, command, ...args],
    })
      .spawn();
    this.#children.add(child);
    child.status.finally(() => this.#children.delete(child));
    return child;
  }

  /** Ends every process, removes every namespace (rules and veths go with them) and file. */
  async destroy(): Promise<void> {
    for (const child of this.#children) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }
    await Promise.allSettled([...this.#children].map((child) => child.status));
    for (const ns of [...this.#pods.values(), this.nodeNs]) {
      await TestNode.#removeNamespace(ns);
      await Deno.remove(`/etc/netns/${ns}`, { recursive: true }).catch(() => {});
    }
    await TestNode.removeLeftovers(this.prefix);
  }
}

/** A pod's `spec.dnsConfig`. */
export interface PodDnsConfig {
  nameservers: string[];
  searches: string[];
  options: { name: string; value?: string }[];
}

/**
 * The resolv.conf kubelet writes for a pod with `dnsPolicy: None` and `dnsConfig`: nameserver
 * lines, one search line, one options line.
 */
export function kubeletResolvConf(dnsConfig: PodDnsConfig): string {
  const options = dnsConfig.options.map((o) =>
    o.value === undefined ? o.name : `${o.name}:${o.value}`
  );
  return [
    ...dnsConfig.nameservers.map((ns) => `nameserver ${ns}`),
    `search ${dnsConfig.searches.join(" ")}`,
    `options ${options.join(" ")}`,
    "",
  ].join("\n");
}
