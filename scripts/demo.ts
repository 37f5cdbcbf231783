/**
 * `deno task demo`: the product on one machine, no cluster. A fake API server (namespace
 * `kubedock`) plays kube-apiserver, kubedock-dns runs as a subprocess with the webhook on
 * (certificate bootstrapped into a Secret), and the seed's example pods are created through the
 * webhook on 127.0.0.x addresses: db1/service1 in network test1, db2/service2 in test2, and
 * `shared` in both. Prints `dig` commands that show the isolation; runs until Ctrl-C.
 *
 * Usage: deno task demo [--dns-port PORT] [--upstream HOST:PORT]
 *
 * Names that are not the demo's are forwarded to `--upstream`, by default the first nameserver
 * of /etc/resolv.conf (the tests name a loopback address instead).
 *
 * @module
 */

import { FakeApiServer } from "../src/fake/api_server.ts";
import { mutatingAdmission } from "../src/fake/admission.ts";
import { ServiceProxy } from "../src/fake/service_proxy.ts";
import { nameservers } from "../src/config/resolv_conf.ts";
import { formatHostPort, parseHostPort } from "../src/config/host_port.ts";
import { localPermissionFlags } from "./permission_flags.ts";
import { freePort } from "../src/fake/free_port.ts";
import { kubedockPod } from "../src/fake/kubedock_pod.ts";
import { webhookConfiguration } from "../src/fake/webhook_configuration.ts";

const NAMESPACE = "kubedock";
/** The value of `--NAME VALUE` on the command line. */
function argument(name: string): string | undefined {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 ? Deno.args[at + 1] : undefined;
}
const dnsPort = Number(argument("dns-port") ?? 1053);
if (!(dnsPort > 0 && dnsPort < 65536)) throw new Error("--dns-port takes a port number");

const fake = FakeApiServer.start({ namespace: NAMESPACE });
const proxy = ServiceProxy.start();
fake.admission = mutatingAdmission(fake.store, proxy);
fake.store.create("services", NAMESPACE, {
  metadata: { name: "kubedock-dns" },
  spec: { clusterIP: "127.0.0.1", ports: [{ name: "dns-udp", port: dnsPort, protocol: "UDP" }] },
});
fake.store.create(
  "mutatingwebhookconfigurations",
  undefined,
  webhookConfiguration(NAMESPACE),
);
const webhookPort = freePort();
proxy.register(`kubedock-dns.${NAMESPACE}.svc:443`, { hostname: "127.0.0.1", port: webhookPort });

const dir = await Deno.makeTempDir({ prefix: "kubedock-dns-demo-" });
const kubeconfig = `${dir}/kubeconfig`;
await Deno.writeTextFile(kubeconfig, fake.kubeconfig());
const upstreamArg = argument("upstream");
const upstreamAddress = upstreamArg === undefined
  ? {
    hostname: nameservers(await Deno.readTextFile("/etc/resolv.conf").catch(() => ""))[0] ??
      "127.0.0.1",
    port: 53,
  }
  : parseHostPort(upstreamArg, 53);
if (!upstreamAddress) throw new Error("--upstream takes HOST:PORT");
const upstream = upstreamAddress.hostname;
const healthPort = freePort();

const child = new Deno.Command("deno", {
  args: [
    "run",
    "--no-prompt",
    ...await localPermissionFlags({
      net: ["127.0.0.0/8", "0.0.0.0", upstream.includes(":") ? `[${upstream}]` : upstream],
      read: [kubeconfig],
    }),
    new URL("../main.ts", import.meta.url).pathname,
    "--kubeconfig",
    kubeconfig,
    "--dns-listen",
    `127.0.0.1:${dnsPort}`,
    "--webhook-listen",
    `127.0.0.1:${webhookPort}`,
    "--health-listen",
    `127.0.0.1:${healthPort}`,
    "--upstream",
    formatHostPort(upstreamAddress),
    "--tls-secret",
    "kubedock-dns-tls",
    "--webhook-config",
    "kubedock-dns",
    "--log-format",
    "text",
    "--lameduck", // nothing routes to this replica but the demo: stop at once
    "0s",
  ],
  stdout: "inherit",
  stderr: "inherit",
}).spawn();

/**
 * Stops everything once: a terminal's Ctrl-C reaches the task runner and this script alike, and
 * the task runner passes its own on, so SIGINT may arrive more than once.
 */
let stopping: Promise<never> | undefined;
function stopAll(code: number): Promise<never> {
  return stopping ??= (async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await fake.stop();
    await proxy.stop();
    await Deno.remove(dir, { recursive: true });
    Deno.exit(code);
  })();
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => stopAll(0));
}
child.status.then((status) => {
  if (stopping) return;
  // exit 0 means it was told to stop: Ctrl-C reached it before this script's own handler ran
  if (status.code !== 0) console.error(`kubedock-dns exited (${status.code})`);
  stopAll(status.code === 0 ? 0 : 1);
});

const deadline = Date.now() + 20_000;
for (;;) {
  const status = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then(
    (r) => (r.body?.cancel(), r.status),
    () => 0,
  );
  if (status === 200) break;
  if (Date.now() > deadline) {
    console.error("kubedock-dns did not become ready");
    await stopAll(1);
  }
  await new Promise((r) => setTimeout(r, 100));
}

const pods: [string, string[], string[]][] = [
  ["db1", ["db"], ["test1"]],
  ["service1", ["service"], ["test1"]],
  ["db2", ["db"], ["test2"]],
  ["service2", ["service"], ["test2"]],
  ["shared", ["shared"], ["test1", "test2"]],
];
const ips: Record<string, string> = {};
for (const [name, aliases, networks] of pods) {
  const created = await fake.createPod(kubedockPod(name, aliases, networks));
  if ((created.spec as { dnsPolicy?: string }).dnsPolicy !== "None") {
    throw new Error(`${name} was not mutated`);
  }
}
for (const [name] of pods) {
  while (!fake.podIp(name, NAMESPACE)) {
    await new Promise((r) => setTimeout(r, 10));
  }
  ips[name] = fake.podIp(name, NAMESPACE)!;
}

const dig = (from: string, name: string, type = "") =>
  `dig -b ${ips[from]} @127.0.0.1 -p ${dnsPort} ${name}${type ? ` ${type}` : ""} +short`;
console.log(`
kubedock-dns demo: DNS on 127.0.0.1:${dnsPort}; pods (all admitted through the webhook):
${
  pods.map(([name, aliases, networks]) =>
    `  ${name.padEnd(9)} ${ips[name].padEnd(12)} aliases ${aliases.join(",")}  networks ${
      networks.join(",")
    }`
  ).join("\n")
}

Try (each query is sent from a pod's IP):
  ${dig("service1", "db")}          # -> ${ips.db1} (db1, test1)
  ${dig("service2", "db")}          # -> ${ips.db2} (db2, test2)
  ${dig("shared", "service")}       # -> both services: shared is in both networks
  ${dig("service1", ips.db1.split(".").reverse().join(".") + ".in-addr.arpa", "PTR")}   # -> db.
DEMO-READY
Ctrl-C stops it.`);
