/**
 * A real dnsmasq on a loopback port, as the upstream DNS server of the tests and benchmarks.
 *
 * @module
 */
import { freePort } from "../fake/free_port.ts";

export { freePort };

/** A running dnsmasq. */
export interface Dnsmasq {
  address: { hostname: string; port: number };
  /** Its process id (the benchmarks pin it to a CPU). */
  pid: number;
  stop(): Promise<void>;
}

/** A TXT record too large for a 512-byte UDP answer: five 200-byte strings. */
export const BIG_TXT_NAME = "big.example.test";

/**
 * The arguments every dnsmasq of the tests starts with: in the foreground on `address` only, no
 * resolv.conf, hosts file, config file, pid file or cache; what it answers comes after.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dnsmasqArgs } from "./dnsmasq.ts";
 * const args = dnsmasqArgs({ hostname: "127.0.0.1", port: 5353 });
 * assert.ok(args.includes("--port=5353") && args.includes("--no-resolv"));
 * ```
 */
export function dnsmasqArgs(address: { hostname: string; port: number }): string[] {
  return [
    "--keep-in-foreground",
    `--port=${address.port}`,
    `--listen-address=${address.hostname}`,
    "--bind-interfaces",
    "--no-resolv",
    "--no-hosts",
    "--conf-file=/dev/null",
    "--pid-file=",
    "--user=root",
    "--cache-size=0",
  ];
}

/** Options of {@linkcode startDnsmasq}. */
export interface DnsmasqOptions {
  /** TTL of its answers (`--local-ttl`); dnsmasq's default 0 means no cache keeps them. */
  localTtl?: number;
  /** Port to listen on (a free one when left out), e.g. to restart it where it was. */
  port?: number;
  /** Every name under a domain answered with one IPv4 (`--address=/domain/ip`). */
  wildcards?: Record<string, string>;
}

/**
 * Starts dnsmasq answering `hosts` (name → IPs) authoritatively; every other name under
 * `example.test` and `cluster.local` is NXDOMAIN; `big.example.test` has a large TXT record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startDnsmasq } from "./dnsmasq.ts";
 * import { decode, encodeQuery } from "./packet.ts";
 * const dnsmasq = await startDnsmasq({ "db.example.test": ["192.0.2.7"] }, { localTtl: 60 });
 * const client = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
 * await client.send(encodeQuery("db.example.test", "A"), { transport: "udp", ...dnsmasq.address });
 * const [reply] = await client.receive();
 * assert.deepEqual(decode(reply).answers.map((a) => [a.data, a.ttl]), [["192.0.2.7", 60]]);
 * client.close();
 * await dnsmasq.stop();
 * ```
 */
export async function startDnsmasq(
  hosts: Record<string, string[]>,
  options: DnsmasqOptions = {},
): Promise<Dnsmasq> {
  const port = options.port ?? freePort();
  const chunk = `"${"x".repeat(200)}"`;
  const args = [
    ...dnsmasqArgs({ hostname: "127.0.0.1", port }),
    "--local=/example.test/",
    "--local=/cluster.local/",
    `--txt-record=${BIG_TXT_NAME},${Array(5).fill(chunk).join(",")}`,
    ...Object.entries(hosts).map(([name, ips]) => `--host-record=${name},${ips.join(",")}`),
    ...(options.localTtl ? [`--local-ttl=${options.localTtl}`] : []),
    ...Object.entries(options.wildcards ?? {}).map(([domain, ip]) => `--address=/${domain}/${ip}`),
  ];
  const child = new Deno.Command("dnsmasq", { args, stdout: "null", stderr: "null" }).spawn();
  const address = { hostname: "127.0.0.1", port };
  await waitForTcp(address);
  return {
    address,
    pid: child.pid,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

/**
 * Waits until something accepts TCP connections at `address` (at most 5 s).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { waitForTcp } from "./dnsmasq.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * (async () => { for await (const conn of listener) conn.close(); })();
 * const started = performance.now();
 * await waitForTcp(listener.addr as Deno.NetAddr); // something accepts: resolves at once
 * assert.ok(performance.now() - started < 1_000);
 * listener.close();
 * ```
 */
export async function waitForTcp(address: { hostname: string; port: number }): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      (await Deno.connect(address)).close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
