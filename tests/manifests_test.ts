/**
 * Every way to install (the kustomize base and each overlay, rendered by kubectl) validated
 * against the Kubernetes schemas (kubernetes-models), checked object by object (namespace, RBAC,
 * image, webhook, disruption budget) and applied to the fake API server with kubectl; the deploy
 * plan's dry run; the Dockerfile and the start task sharing one permission set.
 */
import assert from "node:assert/strict";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
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
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { inNamespace, installs, type Manifest, renderInstall } from "../scripts/manifests.ts";
import { VERSION } from "../src/config/version.ts";
import { releaseFileName } from "../scripts/release.ts";
import { FakeApiServer } from "../src/fake/api_server.ts";
import { Kubectl } from "./helpers/kubectl.ts";
import { V8_FLAGS } from "../scripts/permission_flags.ts";
import { deployPlan, IMAGE, smokePods } from "../scripts/deploy.ts";

// deno-lint-ignore no-explicit-any
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Namespace": Namespace,
  "v1/Pod": Pod,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
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

/** Every way to install, rendered by `kubectl kustomize` as `kubectl apply -k` would. */
const INSTALLS = await Promise.all(
  (await installs()).map(async (install) => ({
    ...install,
    docs: await renderInstall(install.dir),
  })),
);
const rendered = (name: string) => INSTALLS.find((install) => install.name === name)!.docs;
const docs = rendered("base");
const ofKind = (list: Manifest[], kind: string) => list.filter((d) => d.kind === kind);
const byKind = (kind: string) => ofKind(docs, kind);

/** The namespace each install puts kubedock-dns in. */
const NAMESPACE_OF: Record<string, string> = {
  base: "kubedock",
  namespace: "ci",
  "cert-manager": "kubedock",
  "network-policy": "kubedock",
  cluster: "kubedock-dns",
  monitoring: "kubedock",
  "cluster-monitoring": "kubedock-dns",
};

/** The namespaces whose pods each install's webhook mutates. */
const SELECTOR_OF: Record<string, (ns: string) => Record<string, string>> = {
  base: (ns) => ({ "kubernetes.io/metadata.name": ns }),
  namespace: (ns) => ({ "kubernetes.io/metadata.name": ns }),
  "cert-manager": (ns) => ({ "kubernetes.io/metadata.name": ns }),
  "network-policy": (ns) => ({ "kubernetes.io/metadata.name": ns }),
  cluster: () => ({ "kubedock-dns.io/enabled": "true" }), // opted-in namespaces
  monitoring: (ns) => ({ "kubernetes.io/metadata.name": ns }),
  "cluster-monitoring": () => ({ "kubedock-dns.io/enabled": "true" }),
};

/** Each Role's and ClusterRole's rules as `resource[/names]:verbs` lines, for exact comparison. */
function ruleLines(list: Manifest[], kind: "Role" | "ClusterRole"): string[] {
  return ofKind(list, kind).flatMap((role) =>
    role.rules.flatMap((rule: Manifest) =>
      rule.resources.map((resource: string) =>
        `${rule.apiGroups.join(",")}/${resource}${
          rule.resourceNames ? `/${rule.resourceNames.join(",")}` : ""
        }:${rule.verbs.join(",")}`
      )
    )
  ).sort();
}

const BASE_ROLE = [
  "/pods:get,list,watch",
  "/secrets/kubedock-dns-tls:get,update",
  "/secrets:create",
  "/services/kubedock-dns:get",
];
const WEBHOOK_PATCH = [
  "admissionregistration.k8s.io/mutatingwebhookconfigurations/kubedock-dns:get,patch",
];

/** What RBAC each install needs, no more: the bootstrap needs Secrets and the webhook patch. */
const RBAC_OF: Record<string, { role: string[]; clusterRole: string[] }> = {
  base: { role: BASE_ROLE, clusterRole: WEBHOOK_PATCH },
  namespace: { role: BASE_ROLE, clusterRole: WEBHOOK_PATCH },
  "network-policy": { role: BASE_ROLE, clusterRole: WEBHOOK_PATCH },
  "cert-manager": {
    role: ["/pods:get,list,watch", "/services/kubedock-dns:get"],
    clusterRole: [],
  },
  cluster: {
    role: BASE_ROLE.filter((rule) => !rule.startsWith("/pods")),
    clusterRole: ["/pods:get,list,watch", ...WEBHOOK_PATCH].sort(),
  },
  monitoring: { role: BASE_ROLE, clusterRole: WEBHOOK_PATCH },
  "cluster-monitoring": {
    role: BASE_ROLE.filter((rule) => !rule.startsWith("/pods")),
    clusterRole: ["/pods:get,list,watch", ...WEBHOOK_PATCH].sort(),
  },
};

Deno.test("every install renders, and each object is right for it", async (t) => {
  await t.step("the base and every overlay render; each overlay is checked here", () => {
    assert.deepEqual(
      INSTALLS.map((install) => install.name).sort(),
      Object.keys(NAMESPACE_OF).sort(),
      "a new overlay needs its expectations in this test",
    );
    for (const install of INSTALLS) assert.ok(install.docs.length >= 10, install.name);
  });

  for (const install of INSTALLS) {
    const ns = NAMESPACE_OF[install.name];
    const list = install.docs;
    await t.step(`${install.name}: every object validates against its schema`, () => {
      for (const doc of list) {
        // CRDs (cert-manager's, the Prometheus Operator's): checked below
        if (["cert-manager.io/v1", "monitoring.coreos.com/v1"].includes(doc.apiVersion)) continue;
        validate(doc);
      }
    });

    await t.step(`${install.name}: namespace ${ns} everywhere`, () => {
      const namespaced = list.filter((doc) =>
        !["Namespace", "ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration"]
          .includes(doc.kind)
      );
      for (const doc of namespaced) {
        assert.equal(doc.metadata.namespace, ns, `${doc.kind} ${doc.metadata.name}`);
      }
      assert.deepEqual(ofKind(list, "Namespace").map((doc) => doc.metadata.name), [ns]);
      for (
        const binding of [...ofKind(list, "RoleBinding"), ...ofKind(list, "ClusterRoleBinding")]
      ) {
        assert.deepEqual(binding.subjects, [{
          kind: "ServiceAccount",
          name: "kubedock-dns",
          namespace: ns,
        }]);
      }
      const webhook = ofKind(list, "MutatingWebhookConfiguration")[0].webhooks[0];
      assert.equal(webhook.clientConfig.service.namespace, ns);
      assert.deepEqual(webhook.namespaceSelector.matchLabels, SELECTOR_OF[install.name](ns));
      const text = JSON.stringify(list);
      if (ns !== "kubedock") assert.doesNotMatch(text, /kubedock-dns\.kubedock\.svc|:"kubedock"/);
    });

    await t.step(`${install.name}: RBAC exactly as small as it needs`, () => {
      assert.deepEqual(ruleLines(list, "Role"), [...RBAC_OF[install.name].role].sort());
      assert.deepEqual(ruleLines(list, "ClusterRole"), RBAC_OF[install.name].clusterRole);
      assert.equal(
        ofKind(list, "ClusterRoleBinding").length,
        ofKind(list, "ClusterRole").length,
        "a binding for each ClusterRole and no other",
      );
    });

    await t.step(`${install.name}: image, replicas, spread, disruption budget, lameduck`, () => {
      const [deployment] = ofKind(list, "Deployment");
      const pod = deployment.spec.template.spec;
      assert.equal(pod.containers[0].image, `kubedock-dns:${VERSION}`);
      assert.equal(deployment.spec.replicas, 2);
      assert.deepEqual(
        pod.topologySpreadConstraints.map((c: Manifest) => [c.topologyKey, c.maxSkew]),
        [["kubernetes.io/hostname", 1], ["topology.kubernetes.io/zone", 1]],
      );
      const [pdb] = ofKind(list, "PodDisruptionBudget");
      assert.equal(pdb.spec.maxUnavailable, 1);
      assert.deepEqual(pdb.spec.selector, deployment.spec.selector);
      const config = parseConfig(pod.containers[0].args);
      assert.ok(
        config.lameduckMs + config.shutdownTimeoutMs < pod.terminationGracePeriodSeconds * 1000,
        `${config.lameduckMs} + ${config.shutdownTimeoutMs} ms, ${pod.terminationGracePeriodSeconds} s of grace`,
      );
      const podIp = pod.containers[0].env.find((e: Manifest) => e.name === "POD_IP");
      assert.equal(podIp.valueFrom.fieldRef.fieldPath, "status.podIP");
    });
  }

  await t.step("cert-manager: a Certificate for the Service, injected CA, files mounted", () => {
    const list = rendered("cert-manager");
    const [certificate] = ofKind(list, "Certificate");
    const [issuer] = ofKind(list, "Issuer");
    assert.equal(certificate.spec.issuerRef.name, issuer.metadata.name);
    assert.ok(certificate.spec.dnsNames.includes("kubedock-dns.kubedock.svc"));
    const [mwc] = ofKind(list, "MutatingWebhookConfiguration");
    assert.equal(
      mwc.metadata.annotations["cert-manager.io/inject-ca-from"],
      `kubedock/${certificate.metadata.name}`,
    );
    const pod = ofKind(list, "Deployment")[0].spec.template.spec;
    const config = parseConfig(pod.containers[0].args);
    assert.equal(config.tlsSecret, undefined, "no bootstrap");
    const mount = pod.containers[0].volumeMounts.find((m: Manifest) => m.name === "tls");
    const volume = pod.volumes.find((v: Manifest) => v.name === "tls");
    assert.equal(volume.secret.secretName, certificate.spec.secretName);
    assert.equal(config.tlsCert, `${mount.mountPath}/tls.crt`);
    assert.equal(config.tlsKey, `${mount.mountPath}/tls.key`);
    assert.ok(mount.mountPath.startsWith("/etc/kubedock-dns/"), "the permission set may read it");
    const rules = ruleLines(list, "Role").join(" ");
    assert.doesNotMatch(rules, /secrets/, "no Secret write (nor read)");
    assert.doesNotMatch(
      ruleLines(list, "ClusterRole").join(" "),
      /mutatingwebhook/,
      "no webhook patch",
    );
  });

  await t.step("cluster: every namespace's pods watched, opted-in namespaces mutated", () => {
    const list = rendered("cluster");
    const pod = ofKind(list, "Deployment")[0].spec.template.spec;
    assert.equal(parseConfig(pod.containers[0].args).allNamespaces, true);
    const binding = ofKind(list, "ClusterRoleBinding").find((b) =>
      b.roleRef.name === "kubedock-dns-pods"
    );
    assert.ok(binding, "the pods ClusterRole is bound to the service account");
  });

  for (const name of ["monitoring", "cluster-monitoring"]) {
    await t.step(`${name}: scraped, alerted on and charted, nothing else changed`, () => {
      const list = rendered(name);
      const plain = rendered(name === "monitoring" ? "base" : "cluster");
      const added = list.filter((doc) =>
        !plain.some((p) => p.kind === doc.kind && p.metadata.name === doc.metadata.name)
      ).map((doc) => `${doc.kind}/${doc.metadata.name}`).sort();
      assert.deepEqual(added, [
        "ConfigMap/kubedock-dns-dashboard",
        "PrometheusRule/kubedock-dns",
        "Service/kubedock-dns-metrics",
        "ServiceMonitor/kubedock-dns",
      ]);
      const [monitor] = ofKind(list, "ServiceMonitor");
      const metrics = ofKind(list, "Service").find((s) => s.metadata.name.endsWith("-metrics"))!;
      assert.deepEqual(monitor.spec.selector.matchLabels, metrics.metadata.labels);
      assert.equal(
        ofKind(list, "Service").filter((s) =>
          Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) =>
            s.metadata.labels?.[k] === v
          )
        ).length,
        1,
        "the ServiceMonitor selects the metrics Service only",
      );
      assert.deepEqual(monitor.spec.endpoints.map((e: Manifest) => [e.port, e.path]), [[
        "metrics",
        "/metrics",
      ]]);
      assert.deepEqual(metrics.spec.ports, [{
        name: "metrics",
        port: 8080,
        targetPort: "health",
        protocol: "TCP",
      }]);
      assert.equal(metrics.spec.publishNotReadyAddresses, true, "not-ready replicas scraped too");
      const deployment = ofKind(list, "Deployment")[0];
      assert.deepEqual(metrics.spec.selector, deployment.spec.selector.matchLabels);
      const [rule] = ofKind(list, "PrometheusRule");
      assert.ok(rule.spec.groups[0].rules.length >= 7);
      const [dashboard] = ofKind(list, "ConfigMap");
      assert.equal(dashboard.metadata.labels.grafana_dashboard, "1");
      assert.ok(JSON.parse(dashboard.data["kubedock-dns.json"]).panels.length >= 10);
    });
  }

  await t.step("network-policy: DNS from kubedock's pods only; webhook and health open", () => {
    const [policy] = ofKind(rendered("network-policy"), "NetworkPolicy");
    assert.deepEqual(policy.spec.podSelector, ofKind(docs, "Deployment")[0].spec.selector);
    const [dns, webhook, health] = policy.spec.ingress;
    assert.deepEqual(dns.from, [{ podSelector: { matchLabels: { kubedock: "true" } } }]);
    assert.deepEqual(dns.ports.map((p: Manifest) => `${p.port}/${p.protocol}`), [
      "1053/UDP",
      "1053/TCP",
    ]);
    assert.deepEqual(webhook.ports, [{ port: 8443, protocol: "TCP" }]);
    assert.deepEqual(health.ports, [{ port: 8080, protocol: "TCP" }]);
  });

  await t.step("every install applies to the fake API server with kubectl", async () => {
    for (const install of INSTALLS) {
      const fake = FakeApiServer.start({ namespace: "ci" });
      const kubectl = await Kubectl.create(fake.kubeconfig());
      try {
        const applied = await kubectl.run(["apply", "-k", install.dir]);
        assert.equal(applied.code, 0, `${install.name}: ${applied.stderr}`);
        const created = applied.stdout.trim().split("\n");
        assert.equal(created.length, install.docs.length, applied.stdout);
        for (const line of created) assert.match(line, / created$/, line);
        const ns = NAMESPACE_OF[install.name];
        const deployment = fake.store.get("deployments", ns, "kubedock-dns");
        assert.equal(deployment.metadata?.name, "kubedock-dns");
        const again = await kubectl.run(["apply", "-k", install.dir]);
        assert.equal(again.code, 0, `${install.name}, applied again: ${again.stderr}`);
      } finally {
        await kubectl.cleanup();
        await fake.stop();
      }
    }
  });
});

Deno.test("manifests", async (t) => {
  await t.step("the smoke pods validate", () => {
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
  });

  await t.step("RBAC has no wildcards and names its single objects", () => {
    for (const role of [...byKind("Role"), ...byKind("ClusterRole")]) {
      for (const rule of role.rules) {
        for (const field of ["apiGroups", "resources", "verbs", "resourceNames"]) {
          assert.ok(!(rule[field] ?? []).includes("*"), `${role.metadata.name}: ${field} has *`);
        }
      }
    }
  });

  await t.step("the RBAC comparison can fail", () => {
    const wider = structuredClone(docs);
    ofKind(wider, "Role")[0].rules.push({
      apiGroups: [""],
      resources: ["secrets"],
      verbs: ["update"],
    });
    assert.notDeepEqual(ruleLines(wider, "Role"), [...BASE_ROLE].sort());
  });

  await t.step("the webhook selects the opt-in label and the namespace, and fails closed", () => {
    const deployment = byKind("Deployment")[0];
    const config = parseConfig(deployment.spec.template.spec.containers[0].args);
    const webhook = byKind("MutatingWebhookConfiguration")[0].webhooks[0];
    assert.deepEqual(webhook.objectSelector.matchLabels, { [config.label]: "true" });
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

  await t.step("deploy's move to another namespace agrees with the namespace overlay", () => {
    const moved = inNamespace(docs, "ci");
    const overlay = rendered("namespace");
    const key = (doc: Manifest) => `${doc.kind}/${doc.metadata.name}`;
    const strip = (list: Manifest[]) => list.map((doc) => JSON.stringify(doc)).sort();
    assert.deepEqual(moved.map(key).sort(), overlay.map(key).sort());
    assert.deepEqual(strip(moved), strip(overlay));
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
    /^kubectl --context k3d-kubedock-dns apply -k manifests\/base$/,
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

Deno.test("deno task release writes one install file per way to install; each applies with -f", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const release = await new Deno.Command("deno", {
    args: ["task", "--quiet", "release"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(release.code, 0, new TextDecoder().decode(release.stderr));
  for (const install of INSTALLS) {
    const file = `${root}/dist/${releaseFileName(install.name, VERSION)}`;
    const text = await Deno.readTextFile(file);
    assert.equal(text.match(/^kind: /gm)?.length, install.docs.length, file);
    const fake = FakeApiServer.start({ namespace: "ci" });
    const kubectl = await Kubectl.create(fake.kubeconfig());
    try {
      const applied = await kubectl.run(["apply", "-f", file]);
      assert.equal(applied.code, 0, `${file}: ${applied.stderr}`);
      assert.equal(applied.stdout.trim().split("\n").length, install.docs.length);
    } finally {
      await kubectl.cleanup();
      await fake.stop();
    }
  }
});
