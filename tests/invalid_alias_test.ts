/**
 * Aliases that cannot be encoded never reach the wire (docs/dns.md): a pod admitted with the
 * webhook off may carry them; the watcher leaves them out of the index with one warning each and
 * a count, and reverse lookups of the pod name its valid aliases only.
 */
import assert from "node:assert/strict";
import { FakeApiServer } from "../src/fake/api_server.ts";
import { answerData, dig } from "./helpers/dig.ts";
import { startDnsmasq } from "../src/testing/dnsmasq.ts";
import { dnsOnlyArgs, mainPermissions, startMain } from "../src/testing/main_process.ts";
import { decode, encodeQuery } from "../src/testing/packet.ts";
import { eventually, kubedockPod } from "../src/testing/mod.ts";
import { RawUdpClient } from "./helpers/udp_client.ts";

const LONG_LABEL = "x".repeat(64);
const LONG_NAME = Array(6).fill("a".repeat(50)).join("."); // 305 characters

Deno.test("invalid aliases are left out, reported once, and PTR names the valid ones", async () => {
  const dnsmasq = await startDnsmasq({});
  const fake = FakeApiServer.start({ namespace: "ci" });
  const kubeconfig = await fake.writeKubeconfig();
  const main = await startMain([
    ...dnsOnlyArgs(kubeconfig, dnsmasq.address.port),
    "--log-format",
    "text",
  ], mainPermissions(kubeconfig));
  try {
    await main.waitReady();
    await fake.createPod(
      kubedockPod("odd", ["db", LONG_LABEL, "ok.alias", LONG_NAME, "a..b"], ["n1"]),
    );
    await fake.createPod(kubedockPod("peer", ["peer"], ["n1"]));
    const ipOf = (name: string) => fake.podIp(name, "ci");
    await eventually(() => !!ipOf("odd") && !!ipOf("peer"), "pod IPs");
    const reverse = `${ipOf("odd")!.split(".").reverse().join(".")}.in-addr.arpa`;
    const from = { server: main.dns, source: ipOf("peer")! };
    await eventually(() => /annotation.*hostalias\/4/.test(main.logs()), "warnings");

    const ptr = await dig(reverse, { ...from, type: "PTR" });
    assert.equal(ptr.status, "NOERROR", ptr.output);
    assert.deepEqual(answerData(ptr, "PTR"), ["db.", "ok.alias."], ptr.output);
    // the same reply through an independent decoder, byte for byte as sent
    const raw = new RawUdpClient(ipOf("peer")!);
    try {
      const reply = await raw.exchange(encodeQuery(reverse, "PTR", 7, 1232), main.dns);
      assert.deepEqual(decode(reply!).answers.map((a) => a.data).sort(), ["db", "ok.alias"]);
    } finally {
      raw.close();
    }
    assert.deepEqual(answerData(await dig("db", from), "A"), [ipOf("odd")!], "valid aliases stay");

    // one warning per bad annotation, naming pod and key, not repeated on later updates
    fake.setReady("odd", true);
    await new Promise((r) => setTimeout(r, 200));
    const warnings = main.logs().split("\n").filter((l) => /left out of the index/.test(l));
    assert.equal(warnings.length, 3, warnings.join("\n"));
    for (const key of ["hostalias/1", "hostalias/3", "hostalias/4"]) {
      assert.ok(warnings.some((w) => w.includes("ci/odd") && w.includes(key)), key);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${main.health.port}/metrics`)).text();
    assert.match(metrics, /^kubedock_dns_invalid_aliases_total 3$/m);
  } finally {
    await main.stop();
    await fake.stop();
    await dnsmasq.stop();
  }
});
