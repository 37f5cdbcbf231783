/**
 * `deno task deploy`: kubedock-dns on a local k3d cluster, smoke-tested. `--dry-run` prints every
 * command instead of running it. `deno task undeploy` removes it all.
 *
 * It applies the kustomize base (`manifests/base`, rendered by `kubectl kustomize`), moved to
 * `--namespace`. `--pod-networks LIST` builds the image with that permission set (the Dockerfile's
 * `POD_NETWORKS`).
 *
 * Usage: deno task deploy [--dry-run] [--namespace NS] [--cluster NAME] [--pod-networks LIST]
 *        deno task undeploy [--dry-run] [--cluster NAME]
 *
 * @module
 */

import { VERSION } from "../src/config/version.ts";
import { inNamespace, MANIFESTS_DIR, renderInstall, toYamlStream } from "./manifests.ts";
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
  namespace: string;
  cluster: string;
  /** The image's POD_NETWORKS build argument; deno.json's set when not given. */
  podNetworks?: string;
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
  const { namespace: ns, cluster } = options;
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
    {
      what: `apply the kustomize base (manifests/base) for namespace ${ns}`,
      argv: kubectl("apply", "-f", "-"),
      stdin: manifestYaml,
    },
    {
      what: "wait for the rollout",
      argv: kubectl("-n", ns, "rollout", "status", "deployment/kubedock-dns", "--timeout=180s"),
    },
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
  return [
    {
      what: "delete the manifests",
      argv: [
        "kubectl",
        "--context",
        `k3d-${options.cluster}`,
        "delete",
        "--ignore-not-found",
        "-f",
        "-",
      ],
      stdin: manifestYaml,
    },
    {
      what: `delete the k3d cluster ${options.cluster}`,
      argv: ["k3d", "cluster", "delete", options.cluster],
    },
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

function parseArgs(args: string[]): DeployOptions & { dryRun: boolean; undeploy: boolean } {
  const options: DeployOptions & { dryRun: boolean; undeploy: boolean } = {
    namespace: "kubedock",
    cluster: "kubedock-dns",
    dryRun: false,
    undeploy: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--dry-run") options.dryRun = true;
    else if (arg === "--undeploy") options.undeploy = true;
    else if (arg === "--namespace" && args[i + 1]) options.namespace = args[++i];
    else if (arg === "--cluster" && args[i + 1]) options.cluster = args[++i];
    else if (arg === "--pod-networks" && args[i + 1]) options.podNetworks = args[++i];
    else {throw new Error(
        `unknown argument ${
          JSON.stringify(arg)
        }: use --dry-run, --namespace NS, --cluster NAME, --pod-networks LIST`,
      );}
  }
  if (options.podNetworks !== undefined) netPermission(options.podNetworks); // one line when bad
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(options.namespace)) {
    throw new Error("--namespace: not a namespace name");
  }
  return options;
}

if (import.meta.main) {
  try {
    const options = parseArgs(Deno.args);
    const base = await renderInstall(`${MANIFESTS_DIR}/base`);
    const yaml = toYamlStream(inNamespace(base, options.namespace));
    const plan = options.undeploy ? undeployPlan(options, yaml) : deployPlan(options, yaml);
    const missing = await missingTools(
      options.undeploy ? ["k3d", "kubectl"] : ["docker", "k3d", "kubectl"],
    );
    if (options.dryRun) {
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
      options.undeploy
        ? "kubedock-dns removed"
        : "kubedock-dns deployed and smoke-tested: networks are isolated",
    );
  } catch (error) {
    console.error(`deploy: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
