/**
 * The cluster install (manifests/overlays/cluster) as an operator applies it: kubectl applies the
 * overlay to the fake API server, one replica runs with the overlay's own arguments
 * (`--all-namespaces`, the certificate bootstrapped into its namespace's Secret), namespaces opt
 * in by label, and kubectl creates the pods: a pod of an opted-in namespace is mutated, with its
 * own namespace's search list, and answered; one of a namespace without the label is not mutated.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { mutatingAdmission } from "../src/fake/admission.ts";
import { FakeApiServer } from "../src/fake/api_server.ts";
import { ServiceProxy } from "../src/fake/service_proxy.ts";
import { parseConfig } from "../src/config/config.ts";
import { freePort } from "../src/testing/dnsmasq.ts";
import { mainPermissions, startMain } from "../src/testing/main_process.ts";
import { kubedockPod } from "../src/testing/mod.ts";
import { MANIFESTS_DIR, renderInstall } from "../scripts/manifests.ts";
import { answerData, dig } from "./helpers/dig.ts";
import { Kubectl } from "./helpers/kubectl.ts";

type Json = Record<string, unknown>;
const NAMESPACE = "kubedock-dns";
const OPT_IN = "kubedock-dns.io/enabled";

Deno.test("the cluster overlay: one install, namespaces opt in by label", async (t) => {
  const overlay = `${MANIFESTS_DIR}/overlays/cluster`;
  const deployment = (await renderInstall(overlay)).find((doc) => doc.kind === "Deployment")!;
  const args: string[] = deployment.spec.template.spec.containers[0].args;
  const fake = FakeApiServer.start({ namespace: NAMESPACE });
  const proxy = ServiceProxy.start();
  fake.admission = mutatingAdmission(fake.store, proxy);
  const kubectl = await Kubectl.create(fake.kubeconfig());
  const kubeconfig = await fake.writeKubeconfig();
  const port = freePort();
  proxy.register(`kubedock-dns.${NAMESPACE}.svc:443`, { hostname: "127.0.0.1", port });
  let main: Awaited<ReturnType<typeof startMain>> | undefined;
  try {
    await t.step("kubectl apply -k manifests/overlays/cluster", async () => {
      const applied = await kubectl.run(["apply", "-k", overlay]);
      assert.equal(applied.code, 0, applied.stderr);
      const namespaces = ["team-a", "team-b"].map((name) =>
        stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } })
      ).join("---\n");
      const made = await kubectl.run(["apply", "-f", "-"], namespaces);
      assert.equal(made.code, 0, made.stderr);
      const labelled = await kubectl.run(["label", "namespace", "team-a", `${OPT_IN}=true`]);
      assert.equal(labelled.code, 0, labelled.stderr);
    });

    await t.step("the replica runs with the overlay's arguments", async () => {
      const config = parseConfig(args);
      assert.equal(config.allNamespaces, true);
      main = await startMain([
        ...args.filter((arg) => !/^--(dns|webhook|health)-listen=/.test(arg)),
        "--kubeconfig",
        kubeconfig,
        "--upstream",
        "127.0.0.1:9",
        "--webhook-listen",
        `127.0.0.1:${port}`,
      ], mainPermissions(kubeconfig));
      await main.waitReady(20_000);
      const mwc = fake.store.get(
        "mutatingwebhookconfigurations",
        undefined,
        "kubedock-dns",
      ) as Json;
      const webhooks = mwc.webhooks as { clientConfig: { caBundle?: string } }[];
      assert.ok(webhooks[0].clientConfig.caBundle, "the caBundle was patched");
    });

    await t.step(
      "a pod of an opted-in namespace is mutated, with its own search list",
      async () => {
        const created = await kubectl.run(
          ["-n", "team-a", "create", "-f", "-"],
          stringify(kubedockPod("db1", ["db"], ["test1"])),
        );
        assert.equal(created.code, 0, created.stderr + main!.logs());
        const spec = (fake.store.get("pods", "team-a", "db1") as Json).spec as Json;
        assert.equal(spec.dnsPolicy, "None");
        const service = fake.store.get("services", NAMESPACE, "kubedock-dns") as Json;
        const dnsConfig = spec.dnsConfig as Json;
        assert.deepEqual(dnsConfig.nameservers, [(service.spec as Json).clusterIP]);
        assert.deepEqual(dnsConfig.searches, [
          "team-a.svc.cluster.local",
          "svc.cluster.local",
          "cluster.local",
        ]);
      },
    );

    await t.step("a pod of a namespace without the label is not mutated", async () => {
      const created = await kubectl.run(
        ["-n", "team-b", "create", "-f", "-"],
        stringify(kubedockPod("db1", ["db"], ["test1"])),
      );
      assert.equal(created.code, 0, created.stderr);
      const spec = (fake.store.get("pods", "team-b", "db1") as Json).spec as Json;
      assert.equal(spec.dnsPolicy, undefined, "left as it was");
      assert.equal(spec.dnsConfig, undefined);
    });

    await t.step("the opted-in namespace's pods are answered from its own view", async () => {
      const app = await kubectl.run(
        ["-n", "team-a", "create", "-f", "-"],
        stringify(kubedockPod("app1", ["app"], ["test1"])),
      );
      assert.equal(app.code, 0, app.stderr);
      const ip = (name: string) => fake.podIp(name, "team-a")!;
      const deadline = Date.now() + 5_000;
      while ((!ip("db1") || !ip("app1")) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const r = await dig("db.team-a.svc.cluster.local", { server: main!.dns, source: ip("app1") });
      assert.deepEqual(answerData(r, "A"), [ip("db1")], r.output + main!.logs());
    });
  } finally {
    await main?.stop();
    await kubectl.cleanup();
    await proxy.stop();
    await fake.stop();
  }
});
