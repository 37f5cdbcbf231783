/**
 * The container contract under a real OCI runtime (runc): kubedock-dns in a container made the
 * way kubelet and a CRI runtime make one from manifests/base's Deployment. Its securityContext
 * becomes the OCI config (uid and gid 65532, read-only root, no capabilities, no new privileges,
 * a seccomp profile); the container joins its own pod network namespace with its pod IP; the
 * service-account token, CA and namespace are mounted read-only at the standard path, beside a
 * kubelet-style resolv.conf, with KUBERNETES_SERVICE_HOST/PORT pointing at the `kubernetes`
 * ClusterIP (DNATed to an HTTPS fake API server that accepts only that token). The rootfs holds
 * the Deno binary, its libraries, the program and its cached dependencies, run with the
 * permission set `kubedock-dns` and the Deployment's own arguments.
 *
 * Not covered: the compiled binary of the Dockerfile (`deno compile` downloads its runtime, which
 * this offline machine cannot), distroless's files, the image build itself.
 *
 * Needs root and runc (CI runs as root; .ci/run installs runc). Every address lives in network
 * namespaces the test makes; the container, the namespaces and the files go on exit.
 */
import assert from "node:assert/strict";
import { MANIFESTS_DIR, renderInstall } from "../scripts/manifests.ts";
import { eventually } from "../src/testing/eventually.ts";
import { agentClient } from "./helpers/agent_protocol.ts";
import { answerData, dig } from "./helpers/dig.ts";
import { clusterDns } from "./helpers/matrix_agent.ts";
import { NODE_IP, TestNode } from "./helpers/netns.ts";
import { type ContainerSpec, ociConfig } from "./helpers/oci_config.ts";
import {
  APP_DIR,
  buildRootfs,
  DENO_BINARY,
  DENO_DIR,
  RuncContainer,
  writeConfig,
} from "./helpers/oci_container.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const SERVICE_ACCOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
/** The `kubernetes` Service's ClusterIP, DNATed to the fake API server in the node. */
const API_SERVICE_IP = "10.96.0.1";
const API_PORT = 6443;
/** The cluster DNS's ClusterIP, the container's resolv.conf nameserver (dnsmasq in the node). */
const CLUSTER_DNS_IP = "10.96.0.10";
const POSTGRES_IP = "10.96.0.20";
const POD_IP = "10.244.0.10";
const CLIENT_IP = "10.244.0.11";
const DB_IP = "10.244.0.12";
const NETWORK = "7e1d".padEnd(64, "3");

/** The resolv.conf kubelet writes for a `dnsPolicy: ClusterFirst` pod in namespace kubedock. */
const CLUSTER_FIRST_RESOLV_CONF = [
  "search kubedock.svc.cluster.local svc.cluster.local cluster.local",
  `nameserver ${CLUSTER_DNS_IP}`,
  "options ndots:5",
  "",
].join("\n");

/** Log lines that would mean the container contract is broken. */
const CONTRACT_ERRORS =
  /EROFS|read-only file system|NotCapable|PermissionDenied|permission denied|Requires \w+ access|EACCES|EPERM/i;

/** A container's environment variable as the Deployment writes it. */
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

/** Its value as kubelet sets it: a literal, or the downward API's pod IP; others are refused. */
function envValue(variable: EnvVar): string {
  if (variable.value !== undefined) return variable.value;
  if (variable.valueFrom?.fieldRef?.fieldPath === "status.podIP") return POD_IP;
  throw new Error(`environment variable ${variable.name}: not mapped by this test`);
}

/** The container command: the `start` task's (permission set `kubedock-dns`), offline. */
async function entrypoint(): Promise<string[]> {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  const [deno, run, ...flags] = (tasks.start as string).split(" ");
  assert.deepEqual([deno, run], ["deno", "run"]);
  assert.ok(flags.includes("-P=kubedock-dns"), tasks.start);
  return [DENO_BINARY, run, "--cached-only", "--frozen", ...flags];
}

Deno.test("the container contract under runc", async (t) => {
  const node = await TestNode.create("kdo", [
    { clusterIp: API_SERVICE_IP, port: 443, target: { hostname: NODE_IP, port: API_PORT } },
    { clusterIp: CLUSTER_DNS_IP, port: 53, target: { hostname: NODE_IP, port: 5353 } },
  ]);
  const work = await Deno.makeTempDir({ prefix: "kubedock-dns-oci-" });
  const bundle = `${work}/bundle`;
  let agent: ReturnType<typeof agentClient> | undefined;
  let container: RuncContainer | undefined;
  try {
    clusterDns(node, POSTGRES_IP);
    const podNs = await node.addPod("dns", POD_IP, CLUSTER_FIRST_RESOLV_CONF);
    const clientNs = await node.addPod("client", CLIENT_IP, CLUSTER_FIRST_RESOLV_CONF);
    agent = agentClient(node.spawn(node.nodeNs, "deno", [
      "run",
      "--no-prompt",
      `--allow-net=${NODE_IP},127.0.0.1,${POD_IP},kubedock-dns.kubedock.svc`,
      "--allow-run=kubectl",
      "--allow-read=.,/tmp",
      "--allow-write=/tmp",
      `${ROOT}tests/fixtures/oci_node.ts`,
      NODE_IP,
      String(API_PORT),
      POD_IP,
      API_SERVICE_IP,
      `${work}/serviceaccount`,
    ], { cwd: ROOT, stdin: "piped", stdout: "piped", stderr: "piped" }));
    await Promise.all([agent.ready, buildRootfs(bundle, ROOT)]);

    const deployment = (await renderInstall(`${MANIFESTS_DIR}/base`))
      .find((doc) => doc.kind === "Deployment")!;
    const podSpec = deployment.spec.template.spec;
    const spec: ContainerSpec & { args: string[]; env: EnvVar[] } = podSpec.containers[0];
    const runtime = {
      args: [...await entrypoint(), ...spec.args],
      cwd: APP_DIR,
      env: {
        PATH: "/usr/local/bin:/usr/bin:/bin",
        DENO_DIR,
        HOSTNAME: "kubedock-dns-0",
        ...Object.fromEntries(spec.env.map((variable) => [variable.name, envValue(variable)])),
        KUBERNETES_SERVICE_HOST: API_SERVICE_IP,
        KUBERNETES_SERVICE_PORT: "443",
      },
      netnsPath: `/var/run/netns/${podNs}`,
      hostname: "kubedock-dns-0",
      mounts: [
        { destination: SERVICE_ACCOUNT_PATH, source: `${work}/serviceaccount`, readOnly: true },
        {
          destination: "/etc/resolv.conf",
          source: `/etc/netns/${podNs}/resolv.conf`,
          readOnly: true,
        },
        { destination: "/etc/hostname", source: `${work}/hostname`, readOnly: true },
      ],
    };
    const config = ociConfig(spec, podSpec.securityContext, runtime);
    await Deno.writeTextFile(`${work}/hostname`, "kubedock-dns-0\n");

    await t.step("the Deployment's securityContext is the OCI config", () => {
      assert.deepEqual(config.process.user, { uid: 65532, gid: 65532 });
      assert.equal(config.root.readonly, true);
      assert.deepEqual(config.process.capabilities.bounding, []);
      assert.deepEqual(config.process.capabilities.effective, []);
      assert.equal(config.process.noNewPrivileges, true);
      assert.ok(config.linux.seccomp, "RuntimeDefault: a seccomp profile");
      assert.equal(config.linux.resources.memory?.limit, 256 * 2 ** 20);
      assert.ok(spec.args.includes("--tls-secret=kubedock-dns-tls"), "the base's own arguments");
    });
    await t.step("a securityContext field the mapping does not know is refused", () => {
      const privileged = {
        ...spec,
        securityContext: { ...spec.securityContext, privileged: true },
      };
      assert.throws(
        () => ociConfig(privileged, podSpec.securityContext, { ...runtime, mounts: [] }),
        /securityContext fields not mapped: privileged/,
      );
      const escalating = { securityContext: { allowPrivilegeEscalation: true } };
      assert.equal(ociConfig(escalating, {}, runtime).process.noNewPrivileges, false);
    });
    await writeConfig(bundle, config);
    container = await RuncContainer.run(bundle, "kubedock-dns-oci");
    const logs = () => container!.logs();
    let exited = false;
    container.status.then(() => exited = true);

    await t.step("it starts and turns ready", async () => {
      await eventually(
        async () => {
          if (exited) throw new Error(`the container exited:\n${logs()}`);
          const probe = await agent!.send({ op: "probe", path: "/readyz" }).catch(() => undefined);
          return probe?.status === 200;
        },
        `/readyz 200 from the container:\n${logs()}`,
        60_000,
        250,
      );
      assert.notEqual((await agent!.send({ op: "caBundle" })).caBundle, "", "caBundle patched");
    });

    await t.step(
      "its process: uid 65532, no capabilities, no new privileges, seccomp, its memory limit",
      async () => {
        const pid = await container!.pid();
        // read with cat: Deno lets a test read /proc only with every permission
        const status = (await node.exec(podNs, "cat", [`/proc/${pid}/status`])).stdout;
        const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1];
        assert.match(field("Uid")!, /^65532\s+65532\s+65532\s+65532$/);
        assert.match(field("Gid")!, /^65532\s+65532\s+65532\s+65532$/);
        for (const set of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]) {
          assert.equal(field(set), "0000000000000000", set);
        }
        assert.equal(field("NoNewPrivs"), "1");
        assert.equal(field("Seccomp"), "2", "filter mode");
        const mounts = (await node.exec(podNs, "cat", [`/proc/${pid}/mountinfo`])).stdout;
        const root = mounts.split("\n").map((line) => line.split(" ")).find((f) => f[4] === "/");
        assert.ok(root?.[5].split(",").includes("ro"), `the root is mounted read-only: ${root}`);
        assert.equal(await container!.memoryLimit(), 256 * 2 ** 20, "the Deployment's limit");
      },
    );

    await t.step("a pod is admitted through the webhook", async () => {
      for (const [name, ip] of [["client", CLIENT_IP], ["db", DB_IP]]) {
        const { spec } = await agent!.send({
          op: "create",
          name,
          aliases: [name],
          networks: [NETWORK],
          ip,
        }) as { spec: { dnsPolicy?: string; dnsConfig?: { searches: string[] } } };
        assert.equal(spec.dnsPolicy, "None", logs());
        assert.equal(spec.dnsConfig?.searches[0], "kubedock.svc.cluster.local");
      }
    });

    await t.step("it answers a client in another network namespace", async () => {
      const server = { hostname: POD_IP, port: 1053 };
      await eventually(
        async () => {
          const r = await dig("db", { server, netns: clientNs, timeSeconds: 2 });
          return answerData(r, "A")[0] === DB_IP;
        },
        `db answered from the client's network:\n${logs()}`,
        10_000,
        200,
      );
      // a cluster name goes upstream: the nameserver of the container's resolv.conf
      const forwarded = await dig("postgres.ci.svc.cluster.local", { server, netns: clientNs });
      assert.deepEqual(answerData(forwarded, "A"), [POSTGRES_IP], forwarded.output + logs());
    });

    await t.step("SIGTERM: it drains and exits 0", async () => {
      await container!.kill("TERM");
      const status = await container!.status;
      assert.equal(status.code, 0, logs());
    });

    await t.step("no permission or read-only file system error in its log", () => {
      assert.match(logs(), /admission \\"CREATE\\" pod \\"db\\": \\"allowed\\"/);
      assert.match(logs(), /"message":"stopped"/);
      assert.doesNotMatch(logs(), CONTRACT_ERRORS);
    });
  } finally {
    await container?.remove();
    await agent?.close();
    await node.destroy();
    await Deno.remove(work, { recursive: true });
  }
});
