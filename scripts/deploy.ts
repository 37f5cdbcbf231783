/**
 * `deno task deploy`: kubedock-dns on a local k3d cluster, smoke-tested. `--dry-run` prints every
 * command instead of running it. `deno task undeploy` removes it all.
 *
 * It applies the kustomize base (`manifests/base`), moved to `--namespace` when one is given, or
 * with `--overlay NAME` one of `manifests/overlays` (`kubectl apply -k` of its folder), after
 * checking that the cluster has what the overlay needs (cert-manager's or the Prometheus
 * Operator's CRDs). The smoke test runs in the install's namespace, or for a cluster-wide install
 * in a namespace `kubedock-smoke` labelled to opt in. `--pod-networks LIST` builds the image with
 * that permission set (the Dockerfile's `POD_NETWORKS`). `undeploy` deletes what the same install
 * made (`kubectl delete -k`), then the k3d cluster unless `--keep-cluster`.
 *
 * Usage: deno task deploy [--dry-run] [--overlay NAME | --namespace NS] [--cluster NAME]
 *                         [--pod-networks LIST]
 *        deno task undeploy [--dry-run] [--overlay NAME | --namespace NS] [--cluster NAME]
 *                           [--keep-cluster]
 *
 * @module
 */

import { VERSION } from "../src/config/version.ts";
import {
  inNamespace,
  installs,
  type Manifest,
  MANIFEST_NAMESPACE,
  MANIFESTS_DIR,
  renderInstall,
  toYamlStream,
} from "./manifests.ts";
import { netPermission } from "./pod_networks.ts";

/** The image the manifests name. */
export const IMAGE = `kubedock-dns:${VERSION}`;

/** One command of the plan. */
export interface Step {
  what: string;
  argv: string[];
  /** Text piped to stdin. */
  stdin?: string;
  /** Skip the step when this command succeeds (e.g. "the cluster exists"). */
  unless?: string[];
  /** Checks the command's stdout; throws with a message when wrong. */
  check?: (stdout: string, facts: Map<string, string>) => void;
  /** Remember stdout (trimmed) under this name. */
  remember?: string;
}

/** Options of a deploy. */
export interface DeployOptions {
  /** The namespace kubedock-dns runs in (the install's own, or the base moved there). */
  namespace: string;
  cluster: string;
  /** The image's POD_NETWORKS build argument; deno.json's set when not given. */
  podNetworks?: string;
  /**
   * The kustomization applied with `kubectl apply -k` (relative to the checkout, e.g.
   * `manifests/overlays/cluster`); none: the rendered base, moved to `namespace`, from stdin.
   */
  kustomization?: string;
  /** CRDs the install's objects need (checked before applying). */
  requiredCrds?: string[];
  /** The install watches every namespace: the smoke pods go to an opted-in namespace of their own. */
  clusterWide?: boolean;
  /** undeploy: leave the k3d cluster. */
  keepCluster?: boolean;
}

/** The namespace the smoke pods of a cluster-wide install run in (labelled to opt in). */
export const SMOKE_NAMESPACE = "kubedock-smoke";

/** How `kubectl` is told what to apply or delete: a kustomization, or the rendered base. */
function manifestArgs(options: DeployOptions): string[] {
  return options.kustomization ? ["-k", options.kustomization] : ["-f", "-"];
}

const SMOKE_LABEL = "kubedock-dns-smoke";

/** Four busybox pods: db and service in network smoke1, the same names in smoke2. */
export function smokePods(namespace: string) {
  return [["db1", "db", "smoke1"], ["service1", "service", "smoke1"], ["db2", "db", "smoke2"], [
    "service2",
    "service",
    "smoke2",
  ]]
    .map(([name, alias, network]) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `smoke-${name}`,
        namespace,
        labels: { kubedock: "true", [SMOKE_LABEL]: "true" },
        annotations: { "kubedock.hostalias/0": alias, "kubedock.network/0": network },
      },
      spec: {
        containers: [{ name: "main", image: "busybox:1.36.1", command: ["sleep", "3600"] }],
        terminationGracePeriodSeconds: 1,
      },
    }));
}

/** The whole deploy, as data. */
export function deployPlan(options: DeployOptions, manifestYaml: string): Step[] {
  const { namespace: installNs, cluster } = options;
  const ns = options.clusterWide ? SMOKE_NAMESPACE : installNs; // where the smoke pods run
  const kubectl = (...args: string[]) => ["kubectl", "--context", `k3d-${cluster}`, ...args];
  const resolves = (from: string, expected: string, other: string): Step => ({
    what: `db from smoke-${from} is ${expected}'s address, not ${other}'s`,
    argv: kubectl("-n", ns, "exec", `smoke-${from}`, "--", "nslookup", "db"),
    check: (stdout, facts) => {
      const want = facts.get(expected)!;
      const not = facts.get(other)!;
      const answers = stdout.split("\n").filter((l) => l.startsWith("Address")).slice(1).join(" ");
      if (!answers.includes(want)) {
        throw new Error(`smoke-${from} did not resolve db to ${want}: ${stdout}`);
      }
      if (answers.includes(not)) {
        throw new Error(`smoke-${from} sees the other network's db (${not})`);
      }
    },
  });
  return [
    {
      what: `create the k3d cluster ${cluster} (reused when it exists)`,
      argv: ["k3d", "cluster", "create", cluster, "--wait"],
      unless: ["k3d", "cluster", "get", cluster],
    },
    {
      what: options.podNetworks
        ? `build the image, its permission set naming ${options.podNetworks}`
        : "build the image",
      argv: [
        "docker",
        "build",
        ...(options.podNetworks ? ["--build-arg", `POD_NETWORKS=${options.podNetworks}`] : []),
        "-t",
        IMAGE,
        ".",
      ],
    },
    {
      what: "import the image into k3d",
      argv: ["k3d", "image", "import", IMAGE, "--cluster", cluster],
    },
    ...(options.requiredCrds?.length
      ? [{
        what: `check that the cluster has the CRDs the install needs (${
          options.requiredCrds.join(", ")
        }): install cert-manager or the Prometheus Operator first`,
        argv: kubectl("get", "crd", ...options.requiredCrds),
      }]
      : []),
    {
      what: options.kustomization
        ? `apply ${options.kustomization} (kubedock-dns in namespace ${installNs})`
        : `apply the kustomize base (manifests/base) for namespace ${installNs}`,
      argv: kubectl("apply", ...manifestArgs(options)),
      ...(options.kustomization ? {} : { stdin: manifestYaml }),
    },
    {
      what: "wait for the rollout",
      argv: kubectl(
        "-n",
        installNs,
        "rollout",
        "status",
        "deployment/kubedock-dns",
        "--timeout=180s",
      ),
    },
    ...(options.clusterWide
      ? [{
        what: `a namespace ${SMOKE_NAMESPACE} for the smoke pods, labelled to opt in`,
        argv: kubectl("apply", "-f", "-"),
        stdin: toYamlStream([{
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: SMOKE_NAMESPACE, labels: { "kubedock-dns.io/enabled": "true" } },
        }]),
      }]
      : []),
    {
      what: "start two pairs of pods with the same aliases in two networks",
      argv: kubectl("apply", "-f", "-"),
      stdin: toYamlStream(smokePods(ns)),
    },
    {
      what: "wait for the smoke pods",
      argv: kubectl(
        "-n",
        ns,
        "wait",
        "--for=condition=Ready",
        "pod",
        "-l",
        `${SMOKE_LABEL}=true`,
        "--timeout=180s",
      ),
    },
    ...["db1", "db2"].map((name): Step => ({
      what: `read smoke-${name}'s IP`,
      argv: kubectl("-n", ns, "get", "pod", `smoke-${name}`, "-o", "jsonpath={.status.podIP}"),
      remember: name,
    })),
    resolves("service1", "db1", "db2"),
    resolves("service2", "db2", "db1"),
    {
      what: "remove the smoke pods",
      argv: kubectl("-n", ns, "delete", "pod", "-l", `${SMOKE_LABEL}=true`, "--wait=false"),
    },
  ];
}

/** The whole undeploy, as data. */
export function undeployPlan(options: DeployOptions, manifestYaml: string): Step[] {
  const kubectl = (
    ...args: string[]
  ) => ["kubectl", "--context", `k3d-${options.cluster}`, ...args];
  return [
    ...(options.clusterWide
      ? [{
        what: `delete the smoke namespace ${SMOKE_NAMESPACE}`,
        argv: kubectl("delete", "namespace", SMOKE_NAMESPACE, "--ignore-not-found"),
      }]
      : []),
    {
      what: `delete what ${options.kustomization ?? "the base"} made`,
      argv: kubectl("delete", "--ignore-not-found", ...manifestArgs(options)),
      ...(options.kustomization ? {} : { stdin: manifestYaml }),
    },
    ...(options.keepCluster ? [] : [{
      what: `delete the k3d cluster ${options.cluster}`,
      argv: ["k3d", "cluster", "delete", options.cluster],
    }]),
  ];
}

const TOOL_HINTS: Record<string, string> = {
  docker: "docker is missing: install Docker Engine and make sure `docker info` works",
  k3d: "k3d is missing: install it from https://k3d.io (e.g. `brew install k3d`)",
  kubectl: "kubectl is missing: install it from https://kubernetes.io/docs/tasks/tools/",
};

/** Which of the tools cannot be run; one message each. */
export async function missingTools(tools: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const tool of tools) {
    try {
      await new Deno.Command(tool, {
        args: tool === "kubectl" ? ["version", "--client"] : ["version"],
        stdout: "null",
        stderr: "null",
      }).output();
    } catch {
      missing.push(TOOL_HINTS[tool] ?? `${tool} is missing`);
    }
  }
  return missing;
}

function quote(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(
    " ",
  );
}

async function runStep(step: Step, facts: Map<string, string>): Promise<void> {
  if (step.unless) {
    const probe = await new Deno.Command(step.unless[0], {
      args: step.unless.slice(1),
      stdout: "null",
      stderr: "null",
    }).output();
    if (probe.success) {
      console.log(`# skipped (already there): ${step.what}`);
      return;
    }
  }
  console.log(`# ${step.what}\n$ ${quote(step.argv)}`);
  const child = new Deno.Command(step.argv[0], {
    args: step.argv.slice(1),
    stdin: step.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  if (step.stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(step.stdin));
    await writer.close();
  }
  const { code, stdout } = await child.output();
  const text = new TextDecoder().decode(stdout);
  if (!step.remember && !step.check) await Deno.stdout.write(stdout);
  if (code !== 0) throw new Error(`failed (exit ${code}): ${quote(step.argv)}`);
  if (step.remember) facts.set(step.remember, text.trim());
  step.check?.(text, facts);
}

/** The CRDs each API group of an install's objects needs (the kinds the overlays use). */
const CRDS: Record<string, string[]> = {
  "cert-manager.io/v1": ["certificates.cert-manager.io", "issuers.cert-manager.io"],
  "monitoring.coreos.com/v1": [
    "servicemonitors.monitoring.coreos.com",
    "prometheusrules.monitoring.coreos.com",
  ],
};

/**
 * What deploying a rendered install means: its folder, namespace, whether it watches every
 * namespace, and which CRDs it needs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { installOptions } from "./deploy.ts";
 * const docs = [
 *   { apiVersion: "apps/v1", kind: "Deployment", metadata: { namespace: "kubedock-dns" }, spec: { template: { spec: { containers: [{ args: ["--all-namespaces"] }] } } } },
 *   { apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", metadata: { namespace: "kubedock-dns" } },
 * ];
 * assert.deepEqual(installOptions("cluster-monitoring", docs), {
 *   kustomization: "manifests/overlays/cluster-monitoring",
 *   namespace: "kubedock-dns",
 *   clusterWide: true,
 *   requiredCrds: ["servicemonitors.monitoring.coreos.com", "prometheusrules.monitoring.coreos.com"],
 * });
 * ```
 */
export function installOptions(
  name: string,
  docs: Manifest[],
): Required<Pick<DeployOptions, "kustomization" | "namespace" | "clusterWide" | "requiredCrds">> {
  const deployment = docs.find((doc) => doc.kind === "Deployment");
  if (!deployment) throw new Error(`${name} has no Deployment`);
  const args: string[] = deployment.spec.template.spec.containers[0].args ?? [];
  const groups = new Set(docs.map((doc) => doc.apiVersion));
  return {
    kustomization: name === "base" ? "manifests/base" : `manifests/overlays/${name}`,
    namespace: deployment.metadata.namespace,
    clusterWide: args.includes("--all-namespaces"),
    requiredCrds: [...groups].flatMap((group) => CRDS[group] ?? []),
  };
}

export type Arguments = DeployOptions & { dryRun: boolean; undeploy: boolean; overlay?: string };

function parseArgs(args: string[]): Arguments {
  const options: Arguments = {
    namespace: "kubedock",
    cluster: "kubedock-dns",
    dryRun: false,
    undeploy: false,
  };
  let namespaceGiven = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--dry-run") options.dryRun = true;
    else if (arg === "--undeploy") options.undeploy = true;
    else if (arg === "--keep-cluster") options.keepCluster = true;
    else if (arg === "--namespace" && args[i + 1]) {
      options.namespace = args[++i];
      namespaceGiven = true;
    } else if (arg === "--overlay" && args[i + 1]) options.overlay = args[++i];
    else if (arg === "--cluster" && args[i + 1]) options.cluster = args[++i];
    else if (arg === "--pod-networks" && args[i + 1]) options.podNetworks = args[++i];
    else {
      throw new Error(
        `unknown argument ${
          JSON.stringify(arg)
        }: use --dry-run, --overlay NAME, --namespace NS, --cluster NAME, --pod-networks LIST, --keep-cluster`,
      );
    }
  }
  if (options.podNetworks !== undefined) netPermission(options.podNetworks); // one line when bad
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(options.namespace)) {
    throw new Error("--namespace: not a namespace name");
  }
  if (namespaceGiven && options.overlay) {
    throw new Error(
      "--namespace moves the base only; an overlay names its own namespace (see manifests/overlays/namespace)",
    );
  }
  return options;
}

/** The options of the install to deploy: an overlay's, the base's, or the base moved. */
export async function resolveInstall(options: Arguments): Promise<[DeployOptions, string]> {
  const name = options.overlay ?? "base";
  const known = (await installs()).map((install) => install.name);
  if (!known.includes(name)) {
    throw new Error(`--overlay ${name}: no such overlay; there are ${known.slice(1).join(", ")}`);
  }
  const dir = name === "base" ? `${MANIFESTS_DIR}/base` : `${MANIFESTS_DIR}/overlays/${name}`;
  const docs = await renderInstall(dir);
  if (name === "base" && options.namespace !== MANIFEST_NAMESPACE) {
    // the base moved to another namespace: applied from the rendered, moved documents
    return [{ ...options, requiredCrds: [] }, toYamlStream(inNamespace(docs, options.namespace))];
  }
  return [{ ...options, ...installOptions(name, docs) }, ""];
}

if (import.meta.main) {
  try {
    const args = parseArgs(Deno.args);
    const [options, yaml] = await resolveInstall(args);
    const plan = args.undeploy ? undeployPlan(options, yaml) : deployPlan(options, yaml);
    const missing = await missingTools(
      args.undeploy ? ["k3d", "kubectl"] : ["docker", "k3d", "kubectl"],
    );
    if (args.dryRun) {
      for (const message of missing) console.log(`# note: ${message}`);
      for (const step of plan) {
        console.log(
          `# ${step.what}${
            step.unless ? ` (skipped when \`${quote(step.unless)}\` succeeds)` : ""
          }`,
        );
        console.log(
          `$ ${quote(step.argv)}${step.stdin ? ` <<'EOF'\n${step.stdin.trimEnd()}\nEOF` : ""}`,
        );
      }
      Deno.exit(0);
    }
    if (missing.length > 0) {
      for (const message of missing) console.error(message);
      Deno.exit(1);
    }
    const facts = new Map<string, string>();
    for (const step of plan) await runStep(step, facts);
    console.log(
      args.undeploy
        ? "kubedock-dns removed"
        : "kubedock-dns deployed and smoke-tested: networks are isolated",
    );
  } catch (error) {
    console.error(`deploy: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
