import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../src/config/config.ts";
import { parseDuration } from "../src/config/duration.ts";
import { parseHostPort } from "../src/config/host_port.ts";
import { nameservers } from "../src/config/resolv_conf.ts";

Deno.test("config", async (t) => {
  await t.step("defaults match docs/flags.md", () => {
    const c = parseConfig(["--no-webhook"]);
    assert.deepEqual(c.dnsListen, { hostname: "0.0.0.0", port: 1053 });
    assert.deepEqual(c.upstreams, []);
    assert.equal(c.cacheSize, 10_000);
    assert.equal(c.cacheMaxTtlMs, 300_000);
    assert.equal(c.cacheNegativeTtlMs, 5_000);
    assert.equal(c.cacheStaleMs, 3_600_000);
    assert.equal(c.upstreamTimeoutMs, 2000);
    assert.equal(c.waitTimeoutMs, 20000);
    assert.equal(c.maxPending, 10000);
    assert.equal(c.ttl, 10);
    assert.equal(c.clusterDomain, "cluster.local");
    assert.equal(c.label, "kubedock");
    assert.equal(c.hostaliasPrefix, "kubedock.hostalias/");
    assert.equal(c.networkPrefix, "kubedock.network/");
    assert.deepEqual(c.healthListen, { hostname: "0.0.0.0", port: 8080 });
    assert.equal(c.logFormat, "json");
  });

  await t.step("flags in both forms, repeatable internal domains", () => {
    const c = parseConfig([
      "--no-webhook",
      "--dns-listen=127.0.0.1:5353",
      "--upstream",
      "10.43.0.10",
      "--upstream-timeout",
      "500ms",
      "--wait-timeout=1m",
      "--internal-domain",
      "Test.",
      "--internal-domain=svc.local",
      "--namespace",
      "ci",
    ]);
    assert.deepEqual(c.dnsListen, { hostname: "127.0.0.1", port: 5353 });
    assert.deepEqual(c.upstreams, [{ hostname: "10.43.0.10", port: 53 }]);
    assert.equal(c.upstreamTimeoutMs, 500);
    assert.equal(c.waitTimeoutMs, 60000);
    assert.deepEqual(c.internalDomains, ["test", "svc.local"]);
    assert.equal(c.namespace, "ci");
  });

  await t.step("the bounds of held queries and TCP connections", () => {
    const defaults = parseConfig(["--no-webhook"]);
    assert.equal(defaults.maxPendingPerSource, 256);
    assert.equal(defaults.tcpMax, 1_000);
    assert.equal(defaults.tcpMaxPerSource, 16);
    assert.equal(defaults.tcpIdleTimeoutMs, 10_000);
    const set = parseConfig([
      "--no-webhook",
      "--max-pending-per-source=8",
      "--tcp-max=50",
      "--tcp-max-per-source=2",
      "--tcp-idle-timeout=1s",
      "--dns-listen=0.0.0.0:1053",
      "--upstream=127.0.0.1:53", // same host, other port: not ourselves
    ]);
    assert.deepEqual(
      [set.maxPendingPerSource, set.tcpMax, set.tcpMaxPerSource, set.tcpIdleTimeoutMs],
      [8, 50, 2, 1_000],
    );
  });

  await t.step("each bad value is one error naming its flag", () => {
    const cases: [string[], RegExp][] = [
      [["--ttl", "-1"], /--ttl/],
      [["--upstream-timeout", "2"], /--upstream-timeout/],
      [["--dns-listen", "nope"], /--dns-listen/],
      [["--max-pending", "many"], /--max-pending/],
      [["--log-format", "xml"], /--log-format/],
      [["--bogus"], /--bogus/],
      [["--ttl"], /--ttl needs a value/],
      [["--namespace", "Bad_NS"], /--namespace/],
      [["--tls-cert", "a.pem"], /--tls-key/],
      [["--max-pending-per-source", "-3"], /--max-pending-per-source/],
      [["--tcp-max", "0"], /--tcp-max/],
      [["--tcp-max-per-source", "lots"], /--tcp-max-per-source/],
      [["--tcp-idle-timeout", "10"], /--tcp-idle-timeout/],
      [["--dns-listen", "0.0.0.0:53", "--upstream", "127.0.0.1"], /own --dns-listen.*loop/],
      [["--dns-listen", "10.1.2.3:1053", "--upstream", "10.1.2.3:1053"], /own --dns-listen/],
    ];
    for (const [args, pattern] of cases) {
      assert.throws(() => parseConfig(["--no-webhook", ...args]), (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, pattern);
        assert.equal(e.message.includes("\n"), false);
        return true;
      });
    }
  });

  await t.step("with the webhook on, the client timeout must exceed --wait-timeout", () => {
    assert.throws(
      () => parseConfig(["--tls-cert", "c", "--tls-key", "k", "--wait-timeout", "30s"]),
      /--client-timeout/,
    );
    const ok = parseConfig(["--tls-cert", "c", "--tls-key", "k", "--wait-timeout", "29s"]);
    assert.equal(ok.webhook, true);
    assert.throws(() => parseConfig([]), /--no-webhook/);
  });

  await t.step("durations, addresses, resolv.conf", () => {
    assert.equal(parseDuration("1m30s"), 90000);
    assert.equal(parseDuration("1.5s"), 1500);
    assert.equal(parseDuration("s"), undefined);
    assert.equal(parseDuration("10x"), undefined);
    assert.deepEqual(parseHostPort("[::1]:53"), { hostname: "::1", port: 53 });
    assert.deepEqual(parseHostPort("fd00::10", 53), { hostname: "fd00::10", port: 53 });
    assert.equal(parseHostPort("h:99999"), undefined);
    assert.deepEqual(
      nameservers("# c\nsearch a\nnameserver 10.43.0.10\nnameserver 1.1.1.1\n"),
      ["10.43.0.10", "1.1.1.1"],
    );
    assert.deepEqual(nameservers("search a\n"), []);
  });

  await t.step("repeated --upstream keeps the order; cache flags take 0 where it means off", () => {
    const c = parseConfig([
      "--no-webhook",
      "--upstream=10.43.0.10",
      "--upstream",
      "[fd00::10]:5353",
      "--cache-size=0",
      "--cache-max-ttl=1m",
      "--cache-negative-ttl=0",
      "--cache-stale",
      "0",
    ]);
    assert.deepEqual(c.upstreams, [
      { hostname: "10.43.0.10", port: 53 },
      { hostname: "fd00::10", port: 5353 },
    ]);
    assert.deepEqual(
      [c.cacheSize, c.cacheMaxTtlMs, c.cacheNegativeTtlMs, c.cacheStaleMs],
      [0, 60_000, 0, 0],
    );
    assert.throws(
      () => parseConfig(["--no-webhook", "--cache-size", "-1"]),
      /--cache-size: want a whole number from 0 to 1000000/,
    );
    assert.throws(
      () => parseConfig(["--no-webhook", "--cache-stale", "soon"]),
      /--cache-stale: want a duration/,
    );
    assert.throws(
      () => parseConfig(["--no-webhook", "--upstream", "10.0.0.1", "--upstream", "127.0.0.1:1053"]),
      /--upstream 127.0.0.1:1053 is this server's own --dns-listen/,
    );
  });
});
