/**
 * Every manifest validated against the Kubernetes schemas (kubernetes-models) and checked by the
 * rules of the issue; the deploy plan's dry run; the Dockerfile and the start task sharing one
 * permission set.
 */
import assert from "node:assert/strict";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Pod } from "kubernetes-models/v1/Pod";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { MutatingWebhookConfiguration } from "kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration";
import { parseConfig } from "../src/config/config.ts";
import { inNamespace, type Manifest, readManifests } from "../scripts/manifests.ts";
import { V8_FLAGS } from "../scripts/permission_flags.ts";
import { deployPlan, IMAGE, smokePods } from "../scripts/deploy.ts";

// deno-lint-ignore no-explicit-any
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/Pod": Pod,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
  "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration": MutatingWebhookConfiguration,
};

function validate(doc: Manifest): void {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  assert.ok(Model, `no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
}

const docs = (await readManifests(new URL("../manifests", import.meta.url).pathname)).map((m) =>
  m.doc
);
const byKind = (kind: string) => docs.filter((d) => d.kind === kind);

Deno.test("manifests", async (t) => {
  await t.step("every document validates against its Kubernetes schema", () => {
    assert.ok(docs.length >= 10);
    for (const doc of docs) validate(doc);
    for (const pod of smokePods("kubedock")) validate(pod);
  });

  await t.step("the schema check can fail", () => {
    const broken = structuredClone(byKind("Deployment")[0]);
    broken.spec.replicas = "two";
    assert.throws(() => validate(broken));
  });

  await t.step("no latest tags; the image is the one deploy builds", () => {
    for (const deployment of byKind("Deployment")) {
      for (const container of deployment.spec.template.spec.containers) {
        assert.match(container.image, /:[\w.-]+$/);
        assert.doesNotMatch(container.image, /:latest$/);
        assert.equal(container.image, IMAGE);
      }
    }
  });

  await t.step("every container is locked down, probed and bounded", () => {
    const deployment = byKind("Deployment")[0];
    assert.equal(deployment.spec.replicas, 2);
    const pod = deployment.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
      const sc = c.securityContext;
      assert.equal(sc.runAsNonRoot, true, c.name);
      assert.equal(sc.readOnlyRootFilesystem, true, c.name);
      assert.equal(sc.allowPrivilegeEscalation, false, c.name);
      assert.deepEqual(sc.capabilities.drop, ["ALL"], c.name);
      assert.equal(sc.seccompProfile.type, "RuntimeDefault", c.name);
      assert.ok(
        c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory,
      );
      assert.equal(c.livenessProbe.httpGet.path, "/healthz");
      assert.equal(c.readinessProbe.httpGet.path, "/readyz");
      assert.doesNotThrow(() => parseConfig(c.args), "the container's args are valid flags");
    }
    assert.equal(byKind("PodDisruptionBudget").length, 1);
  });

  await t.step("--shutdown-timeout is shorter than the grace period", () => {
    const pod = byKind("Deployment")[0].spec.template.spec;
    const config = parseConfig(pod.containers[0].args);
    assert.ok(
      config.shutdownTimeoutMs < pod.terminationGracePeriodSeconds * 1000,
      `${config.shutdownTimeoutMs} ms to drain, ${pod.terminationGracePeriodSeconds} s of grace`,
    );
  });

  await t.step("RBAC has no wildcards and names its single objects", () => {
    for (const role of [...byKind("Role"), ...byKind("ClusterRole")]) {
      for (const rule of role.rules) {
        for (const field of ["apiGroups", "resources", "verbs", "resourceNames"]) {
          assert.ok(!(rule[field] ?? []).includes("*"), `${role.metadata.name}: ${field} has *`);
        }
        if (rule.resources.includes("mutatingwebhookconfigurations")) {
          assert.deepEqual(rule.resourceNames, ["kubedock-dns"]);
        }
        if (rule.resources.includes("services")) {
          assert.deepEqual(rule.resourceNames, ["kubedock-dns"]);
        }
        if (rule.resources.includes("secrets") && rule.verbs.includes("get")) {
          assert.deepEqual(rule.resourceNames, ["kubedock-dns-tls"]);
        }
      }
    }
    const clusterRules = byKind("ClusterRole").flatMap((r) => r.rules);
    assert.deepEqual(clusterRules.flatMap((r) => r.resources), ["mutatingwebhookconfigurations"]);
  });

  await t.step("the webhook selects the opt-in label and the namespace, and fails closed", () => {
    const deployment = byKind("Deployment")[0];
    const config = parseConfig(deployment.spec.template.spec.containers[0].args);
    const webhook = byKind("MutatingWebhookConfiguration")[0].webhooks[0];
    assert.deepEqual(webhook.objectSelector.matchLabels, { [config.label]: "true" });
    assert.deepEqual(webhook.namespaceSelector.matchLabels, {
      "kubernetes.io/metadata.name": "kubedock",
    });
    assert.equal(webhook.clientConfig.service.namespace, "kubedock");
    assert.equal(webhook.clientConfig.service.name, config.dnsService);
    assert.equal(webhook.clientConfig.service.path, "/mutate/pods");
    assert.equal(webhook.failurePolicy, "Fail");
    assert.equal(webhook.sideEffects, "None");
    assert.equal(webhook.reinvocationPolicy, "Never");
    assert.ok(webhook.timeoutSeconds > 0 && webhook.timeoutSeconds <= 30);
    assert.deepEqual(webhook.rules[0].operations, ["CREATE", "UPDATE"]);
    assert.equal(byKind("MutatingWebhookConfiguration")[0].metadata.name, config.webhookConfig);
    assert.equal(
      deployment.spec.template.metadata.labels[config.label],
      undefined,
      "kubedock-dns's own pods are not opted in",
    );
  });

  await t.step("the Service exposes DNS on 53 UDP and TCP and the webhook on 443", () => {
    const ports = byKind("Service")[0].spec.ports.map((p: Manifest) =>
      `${p.port}/${p.protocol}->${p.targetPort}`
    );
    assert.deepEqual(ports.sort(), ["443/TCP->webhook", "53/TCP->dns-tcp", "53/UDP->dns-udp"]);
  });

  await t.step("one namespace everywhere, and moving it moves every reference", () => {
    const text = JSON.stringify(inNamespace(docs, "ci"));
    assert.ok(!text.includes(':"kubedock"'), "no reference to the old namespace is left");
    const moved = inNamespace(docs, "ci");
    assert.equal(moved.find((d) => d.kind === "Namespace")!.metadata.name, "ci");
    const mentions = JSON.stringify(docs).match(/:"kubedock"/g)?.length ?? 0;
    assert.ok(mentions >= 8, "the namespace is written in each place that needs it");
  });
});

Deno.test("deploy --dry-run prints the whole sequence", async () => {
  const { code, stdout } = await new Deno.Command("deno", {
    args: ["task", "--quiet", "deploy", "--dry-run"],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0);
  const commands = new TextDecoder().decode(stdout).split("\n").filter((l) => l.startsWith("$ "))
    .map((l) => l.slice(2));
  const expected = [
    /^k3d cluster create kubedock-dns --wait$/,
    /^docker build -t kubedock-dns:0\.1\.0 \.$/,
    /^k3d image import kubedock-dns:0\.1\.0 --cluster kubedock-dns$/,
    /^kubectl --context k3d-kubedock-dns apply -f - <<'EOF'$/,
    /rollout status deployment\/kubedock-dns --timeout=180s$/,
    /apply -f - <<'EOF'$/,
    /wait --for=condition=Ready pod -l kubedock-dns-smoke=true/,
    /get pod smoke-db1 -o 'jsonpath=\{\.status\.podIP\}'$/,
    /get pod smoke-db2 -o 'jsonpath=\{\.status\.podIP\}'$/,
    /exec smoke-service1 -- nslookup db$/,
    /exec smoke-service2 -- nslookup db$/,
    /delete pod -l kubedock-dns-smoke=true/,
  ];
  assert.equal(commands.length, expected.length, commands.join("\n"));
  expected.forEach((pattern, i) => assert.match(commands[i], pattern));
  const out = new TextDecoder().decode(stdout);
  assert.match(out, /kind: MutatingWebhookConfiguration/);
  assert.match(out, /kubedock\.network\/0: smoke2/);
});

Deno.test("the smoke test's checks fail on a wrong answer", () => {
  const plan = deployPlan({ namespace: "kubedock", cluster: "c" }, "");
  const check = plan.find((s) => s.argv.includes("smoke-service1"))!.check!;
  const facts = new Map([["db1", "10.42.0.5"], ["db2", "10.42.0.6"]]);
  const answer = (ip: string) =>
    `Server:\t\t10.43.0.53\nAddress:\t10.43.0.53:53\n\nName:\tdb\nAddress: ${ip}\n`;
  check(answer("10.42.0.5"), facts);
  assert.throws(() => check(answer("10.42.0.6"), facts), /did not resolve db/);
});

Deno.test("the Dockerfile and deno task start share one permission set and V8 flags", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const dockerfile = await Deno.readTextFile(`${root}/Dockerfile`);
  const start: string = config.tasks.start;
  const set = /-P=([\w-]+)/.exec(start)?.[1];
  assert.equal(set, "kubedock-dns");
  assert.ok(config.permissions[set!], "the set exists in deno.json");
  const compile = dockerfile.split("\n").find((l) =>
    l.startsWith("RUN") && l.includes("deno compile")
  )!;
  assert.match(compile, new RegExp(`-P=${set}\\b`));
  assert.doesNotMatch(compile, /--allow-|(^|\s)-A(\s|$)/, "no second list in the Dockerfile");
  assert.doesNotMatch(start, /--allow-|(^|\s)-A(\s|$)/, "no second list in the task");
  for (const [where, line] of [["the start task", start], ["the Dockerfile", compile]]) {
    assert.ok(line.split(/\s+/).includes(V8_FLAGS), `${where} runs with ${V8_FLAGS}`);
    assert.equal(line.match(/--v8-flags/g)?.length, 1, `${where}: no other V8 flags`);
  }
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf("FROM "));
  assert.match(finalStage, /^USER 65532/m);
  assert.match(finalStage, /^ENTRYPOINT \["/m, "exec form: no shell");
  assert.doesNotMatch(finalStage, /:latest/);
});
