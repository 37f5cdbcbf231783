/**
 * `deno task deploy --overlay NAME` for every install, and `undeploy` for the same: the plan's
 * kubectl writes (apply -k of the install's folder, the smoke namespace of a cluster-wide install,
 * the smoke pods) run with the real kubectl against the fake API server, as the cluster install
 * test applies its overlay; every object of the install is there afterwards, and none after the
 * undeploy plan's deletes. The dry run prints the exact `kubectl apply -k` of each overlay.
 */
import assert from "node:assert/strict";
import { installs, type Manifest, renderInstall } from "../scripts/manifests.ts";
import { deployPlan, resolveInstall, SMOKE_NAMESPACE, undeployPlan } from "../scripts/deploy.ts";
import { FakeApiServer } from "../src/fake/api_server.ts";
import { RESOURCES } from "../src/fake/routes.ts";
import { Kubectl } from "./helpers/kubectl.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const PLURAL_OF = Object.fromEntries(Object.entries(RESOURCES).map(([p, r]) => [r.kind, p]));
/** The plan's steps that write to the cluster (reads, waits and execs need a real one). */
const WRITES = ["apply", "create", "label", "delete"];

Deno.test("deploy and undeploy every install", async (t) => {
  for (const install of await installs()) {
    const options = {
      namespace: "kubedock",
      cluster: "c",
      dryRun: false,
      undeploy: false,
      keepCluster: true,
      ...(install.name === "base" ? {} : { overlay: install.name }),
    };
    const [resolved, yaml] = await resolveInstall(options);
    const docs = await renderInstall(install.dir);

    await t.step(`${install.name}: deploy, then undeploy, with kubectl`, async () => {
      const fake = FakeApiServer.start({ namespace: "ci" });
      const kubectl = await Kubectl.create(fake.kubeconfig());
      const exists = (doc: Manifest) => {
        try {
          fake.store.get(PLURAL_OF[doc.kind], doc.metadata.namespace, doc.metadata.name);
          return true;
        } catch {
          return false;
        }
      };
      const runWrites = async (steps: ReturnType<typeof deployPlan>) => {
        for (const step of steps) {
          const args = step.argv.slice(3); // kubectl --context k3d-c ...
          if (
            step.argv[0] !== "kubectl" || !WRITES.includes(args[0] === "-n" ? args[2] : args[0])
          ) {
            continue;
          }
          const ran = await kubectl.run(args, step.stdin);
          assert.equal(ran.code, 0, `${step.what}: ${ran.stderr}`);
        }
      };
      try {
        const plan = deployPlan(resolved, yaml);
        const apply = plan.find((s) => s.argv.includes("apply") && s.argv.includes("-k"))!;
        assert.deepEqual(apply.argv.slice(3), ["apply", "-k", resolved.kustomization]);
        await runWrites(plan);
        const missing = docs.filter((doc) => !exists(doc)).map((d) =>
          `${d.kind}/${d.metadata.name}`
        );
        assert.deepEqual(missing, [], "every object of the install was made");
        const smokeNs = resolved.clusterWide ? SMOKE_NAMESPACE : resolved.namespace;
        const smokePosts = fake.requests.filter((r) =>
          r.startsWith(`POST /api/v1/namespaces/${smokeNs}/pods`)
        );
        assert.equal(smokePosts.length, 4, "the smoke pods were made (and removed at the end)");
        if (resolved.clusterWide) {
          const ns = fake.store.get("namespaces", undefined, SMOKE_NAMESPACE);
          assert.equal(ns.metadata?.labels?.["kubedock-dns.io/enabled"], "true");
        }
        const crds = plan.find((s) => s.argv.includes("crd"));
        assert.equal(!!crds, /monitoring|cert-manager/.test(install.name), "CRDs checked first");

        const undeploy = undeployPlan(resolved, yaml);
        assert.ok(!undeploy.some((s) => s.argv[0] === "k3d"), "--keep-cluster keeps the cluster");
        await runWrites(undeploy);
        const left = docs.filter(exists).map((d) => `${d.kind}/${d.metadata.name}`);
        assert.deepEqual(left, [], "undeploy removed what the install made");
      } finally {
        await kubectl.cleanup();
        await fake.stop();
      }
    });
  }

  await t.step("--dry-run prints each overlay's exact kubectl apply -k", async () => {
    for (const name of ["cluster", "monitoring", "cluster-monitoring"]) {
      const { code, stdout } = await new Deno.Command("deno", {
        args: ["task", "--quiet", "deploy", "--dry-run", "--overlay", name],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(code, 0);
      const out = new TextDecoder().decode(stdout);
      assert.match(
        out,
        new RegExp(
          `^\\$ kubectl --context k3d-kubedock-dns apply -k manifests/overlays/${name}$`,
          "m",
        ),
      );
    }
    const wrong = await new Deno.Command("deno", {
      args: ["task", "--quiet", "deploy", "--dry-run", "--overlay", "nope"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(wrong.code, 1);
    assert.match(new TextDecoder().decode(wrong.stderr), /--overlay nope: no such overlay/);
  });
});
