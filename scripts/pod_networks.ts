/**
 * `deno task pod-networks LIST` (and the Dockerfile's `POD_NETWORKS` build argument): sets the
 * ranges the production permission set may send to, besides loopback and the listening address.
 * LIST is comma-separated: every range replies and connections go to — the pod networks, the
 * Service network (the cluster DNS) and the API server. Deno's `--allow-net` takes IPv4 CIDRs
 * but no IPv6 CIDRs, so a list with an IPv6 range makes the *unrestricted* set: every address
 * but the cloud metadata endpoints.
 *
 * Usage: deno task pod-networks 10.0.0.0/8,100.64.0.0/10   (rewrites deno.json's set)
 *
 * @module
 */

/** What the set always names: the listening address, loopback, and `localhost`. */
export const ALWAYS_REACHABLE: readonly string[] = ["0.0.0.0", "127.0.0.0/8", "localhost"];

/**
 * Denied even by the unrestricted set: the instance metadata endpoints of AWS (IPv4 and IPv6),
 * ECS, GCP, Azure and Oracle (169.254.169.254), and Alibaba; they hand out credentials.
 */
export const METADATA_ADDRESSES: readonly string[] = [
  "169.254.169.254",
  "169.254.170.2",
  "100.100.100.200",
  "[fd00:ec2::254]",
  "metadata.google.internal",
];

/** A permission set's `net`: a list, or everything but a deny list. */
export type NetPermission = string[] | { allow: true; deny: string[] };

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** An IPv4 range (`10.0.0.0/8`) or address, or `undefined` when it is not one. */
function ipv4Range(text: string): string | undefined {
  const [address, bits, ...more] = text.split("/");
  if (more.length > 0 || !IPV4.test(address)) return undefined;
  if (bits === undefined) return address;
  return /^\d+$/.test(bits) && Number(bits) <= 32 ? `${address}/${Number(bits)}` : undefined;
}

/** Whether `text` is an IPv6 range or address (`fd00::/8`, `[fd00::5]`). */
function isIpv6Range(text: string): boolean {
  const [address, bits] = text.replace(/^\[|\]$/g, "").split("/");
  return /^[0-9a-f:.]+$/i.test(address) && address.includes(":") &&
    (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= 128));
}

/**
 * The `net` permission for `podNetworks` (one comma-separated list). Throws one line naming the
 * entry that is not an IP range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { netPermission } from "./pod_networks.ts";
 * assert.deepEqual(netPermission("10.0.0.0/8, 100.64.0.0/10"), [
 *   "0.0.0.0", "127.0.0.0/8", "localhost", "10.0.0.0/8", "100.64.0.0/10",
 * ]);
 * const ipv6 = netPermission("10.0.0.0/8,fd00::/8");
 * assert.ok(!Array.isArray(ipv6) && ipv6.allow === true && ipv6.deny.includes("169.254.169.254"));
 * assert.throws(() => netPermission("10.0.0.0/33"), /POD_NETWORKS: "10.0.0.0\/33" is not an IP range/);
 * ```
 */
export function netPermission(podNetworks: string): NetPermission {
  const entries = podNetworks.split(",").map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) throw new Error("POD_NETWORKS: no range given");
  const ipv4: string[] = [];
  let ipv6 = false;
  for (const entry of entries) {
    const range = ipv4Range(entry);
    if (range) ipv4.push(range);
    else if (isIpv6Range(entry)) ipv6 = true;
    else {
      throw new Error(
        `POD_NETWORKS: ${JSON.stringify(entry)} is not an IP range (want e.g. 10.0.0.0/8)`,
      );
    }
  }
  if (ipv6) return { allow: true, deny: [...METADATA_ADDRESSES] };
  return [...ALWAYS_REACHABLE, ...new Set(ipv4)];
}

/**
 * deno.json's text with the production set's `net` replaced (everything else kept as it was).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withNetPermission } from "./pod_networks.ts";
 * const text = withNetPermission('{"permissions":{"kubedock-dns":{"net":["0.0.0.0"],"env":["X"]}}}', ["0.0.0.0", "100.64.0.0/10"]);
 * assert.deepEqual(JSON.parse(text).permissions["kubedock-dns"], { net: ["0.0.0.0", "100.64.0.0/10"], env: ["X"] });
 * ```
 */
export function withNetPermission(denoJson: string, net: NetPermission): string {
  const config = JSON.parse(denoJson);
  config.permissions["kubedock-dns"].net = net;
  return JSON.stringify(config, null, 2) + "\n";
}

if (import.meta.main) {
  try {
    const file = new URL("../deno.json", import.meta.url);
    const net = netPermission(Deno.args.join(","));
    await Deno.writeTextFile(file, withNetPermission(await Deno.readTextFile(file), net));
    console.log(
      Array.isArray(net)
        ? `permission set kubedock-dns: net ${net.join(",")}`
        : `permission set kubedock-dns: net UNRESTRICTED (an IPv6 range was given) except ${
          net.deny.join(",")
        }`,
    );
  } catch (error) {
    console.error(`pod-networks: ${(error as Error).message}`);
    Deno.exit(2);
  }
}
