/**
 * The permission set as a build input: the Dockerfile's POD_NETWORKS step, run as the Dockerfile
 * runs it on a copy of deno.json, gives a set that Deno takes, naming what was given and no more;
 * an IPv6 range gives the unrestricted set with the cloud metadata addresses denied. Only
 * permission queries: nothing is sent to these addresses.
 */
import assert from "node:assert/strict";
import { ALWAYS_REACHABLE, netPermission } from "../scripts/pod_networks.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The Dockerfile's POD_NETWORKS command, run in a copy of the build context; the probe's verdict. */
async function buildAndProbe(podNetworks: string, addresses: string[]) {
  const dockerfile = await Deno.readTextFile(`${ROOT}/Dockerfile`);
  const step = /deno run [^\n]*scripts\/pod_networks\.ts "\$POD_NETWORKS"/.exec(dockerfile)?.[0];
  assert.ok(step, "the Dockerfile runs scripts/pod_networks.ts with $POD_NETWORKS");
  const context = await Deno.makeTempDir({ prefix: "kubedock-dns-build-" });
  try {
    await Deno.mkdir(`${context}/scripts`);
    await Deno.copyFile(`${ROOT}/deno.json`, `${context}/deno.json`);
    await Deno.copyFile(`${ROOT}/scripts/pod_networks.ts`, `${context}/scripts/pod_networks.ts`);
    const built = await new Deno.Command("sh", {
      args: ["-c", step],
      cwd: context,
      env: { POD_NETWORKS: podNetworks },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    if (built.code !== 0) return { code: built.code, stderr: text(built.stderr) };
    const probe = await new Deno.Command("deno", {
      args: [
        "run",
        "--no-prompt",
        "--config",
        `${context}/deno.json`,
        "-P=kubedock-dns",
        `${ROOT}/tests/fixtures/reach_probe.ts`,
        ...addresses,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(probe.code, 0, text(probe.stderr));
    return { code: 0, stderr: "", ...JSON.parse(text(probe.stdout)) };
  } finally {
    await Deno.remove(context, { recursive: true });
  }
}

Deno.test("POD_NETWORKS: the image's permission set as a build argument", async (t) => {
  await t.step("the default set is what POD_NETWORKS makes of its own ranges", async () => {
    const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
    const net: string[] = config.permissions["kubedock-dns"].net;
    const ranges = net.filter((entry) => !ALWAYS_REACHABLE.includes(entry));
    assert.deepEqual(ranges, ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]);
    assert.deepEqual(netPermission(ranges.join(",")), net, "deno.json and the script agree");
  });

  await t.step(
    "an IPv4 list: exactly those ranges, loopback and the listening address",
    async () => {
      const result = await buildAndProbe("198.18.0.0/15, 100.64.0.0/10", [
        "198.19.4.5",
        "100.64.1.2",
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
      ]);
      assert.equal(result.unrestricted, false);
      assert.deepEqual(result.reach, {
        "198.19.4.5": true,
        "100.64.1.2": true,
        "127.0.0.1": true,
        "10.1.2.3": false, // no longer named
        "169.254.169.254": false,
      });
    },
  );

  await t.step("an IPv6 range: the unrestricted set, named so, metadata denied", async () => {
    const result = await buildAndProbe("10.0.0.0/8,fd00::/8", [
      "fd00::5",
      "2001:db8::1",
      "203.0.113.9",
      "169.254.169.254",
      "fd00:ec2::254",
    ]);
    assert.equal(result.unrestricted, true, "the program sees it, and warns at start");
    assert.deepEqual(result.reach, {
      "fd00::5": true,
      "2001:db8::1": true,
      "203.0.113.9": true,
      "169.254.169.254": false,
      "fd00:ec2::254": false,
    });
  });

  await t.step("a bad entry stops the build with one line naming it", async () => {
    const result = await buildAndProbe("10.0.0.0/8,pods", []);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^pod-networks: POD_NETWORKS: "pods" is not an IP range/);
  });
});
