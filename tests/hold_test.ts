/**
 * The hold handler alone: a stub `next` plays upstream, fake timers play time, no sockets.
 */
import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { DEFAULT_CONFIG } from "../src/config/config.ts";
import type { DnsReply, DnsRequest, DnsResolver } from "../src/dns/chain/handler.ts";
import { holdHandler } from "../src/dns/chain/hold.ts";
import { DnsServerState } from "../src/dns/state.ts";
import { parseQuery } from "../src/dns/wire/query.ts";
import { NetworkIndex } from "../src/index/network_index.ts";
import { decode, encodeQuery, packet } from "../src/testing/packet.ts";
import { podRecord } from "../src/testing/records.ts";

const SUFFIX = "ci.svc.cluster.local";
const WAIT_MS = 5_000;
const CLIENT = "127.0.0.3";

/** An upstream reply to `request` with `rcode` and, optionally, one A record. */
function upstreamReply(request: DnsRequest, rcode: string, a?: string, tc = false): Uint8Array {
  const question = request.query;
  return new Uint8Array(packet.encode({
    type: "response",
    id: question.id,
    flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE |
      (tc ? packet.TRUNCATED_RESPONSE : 0) |
      ({ NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as Record<string, number>)[rcode],
    questions: [{ name: question.name, type: "A", class: "IN" }],
    answers: a ? [{ name: question.name, type: "A", ttl: 30, data: a }] : [],
  }));
}

/** A fresh world: index with one client pod, state, handler, fake clock. */
function world(limits: Partial<typeof DEFAULT_CONFIG> = {}, synced = true) {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  const index = new NetworkIndex();
  const client = podRecord("client", [CLIENT], ["client"], ["n1"]);
  if (synced) index.replaceAll([client]);
  const state = DnsServerState.fromConfig({
    ...DEFAULT_CONFIG,
    waitTimeoutMs: WAIT_MS,
    ...limits,
  });
  const handler = holdHandler(
    { index, ttl: 10, searchSuffix: SUFFIX, internalDomains: [] },
    state.holds,
  );
  const request = (name: string, source = CLIENT): DnsRequest => {
    const parsed = parseQuery(encodeQuery(name, "A", 77));
    assert.ok(parsed.kind === "query");
    return { query: parsed.query, source, transport: "udp", receivedAt: performance.now() };
  };
  /** Upstream answers every query with `rcode` (`null`: no reply at all). */
  const upstream = (rcode: string | null, a?: string, tc = false) => {
    const asked: string[] = [];
    const next: DnsResolver = (r) => {
      asked.push(r.query.name);
      return Promise.resolve(rcode === null ? null : upstreamReply(r, rcode, a, tc));
    };
    return { next, asked };
  };
  /** Runs the handler and reports when (fake ms) and with what it answered. */
  const ask = (r: DnsRequest, next: DnsResolver) => {
    const result: { reply?: DnsReply; at?: number } = {};
    const started = performance.now();
    Promise.resolve(handler(r, next)).then((reply) => {
      result.reply = reply;
      result.at = performance.now() - started;
    });
    return result;
  };
  return { clock, index, state, holds: state.holds, request, upstream, ask, client };
}

Deno.test("the hold handler", async (t) => {
  await t.step("NXDOMAIN upstream: held, answered on the watch event", async () => {
    const w = world();
    try {
      const { next, asked } = w.upstream("NXDOMAIN");
      const result = w.ask(w.request("db.ci.svc.cluster.local"), next);
      await w.clock.tickAsync(1_000);
      assert.equal(result.reply, undefined, "still held");
      assert.equal(w.holds.size, 1);
      assert.deepEqual(asked, ["db.ci.svc.cluster.local"], "upstream asked once, at once");
      w.index.upsert(podRecord("db1", ["127.0.0.2"], ["db"], ["n1"]));
      await w.clock.tickAsync(0);
      const reply = decode(result.reply!);
      assert.equal(reply.rcode, "NOERROR");
      assert.deepEqual(reply.answers.map((a) => a.data), ["127.0.0.2"]);
      assert.ok(reply.flag_aa);
      assert.equal(result.at, 1_000, "answered the moment the pod became answerable");
      assert.equal(w.holds.outcomes.answered, 1);
      assert.equal(w.holds.size, 0);
    } finally {
      w.clock.uninstall();
    }
  });

  await t.step("a pod of another network does not wake it", async () => {
    const w = world();
    try {
      const result = w.ask(w.request("db.ci.svc.cluster.local"), w.upstream("NXDOMAIN").next);
      await w.clock.tickAsync(100);
      w.index.upsert(podRecord("db2", ["127.0.0.4"], ["db"], ["n2"]));
      await w.clock.tickAsync(100);
      assert.equal(result.reply, undefined);
      assert.equal(w.holds.size, 1);
      await w.clock.tickAsync(WAIT_MS);
      assert.equal(decode(result.reply!).rcode, "NXDOMAIN");
    } finally {
      w.clock.uninstall();
    }
  });

  await t.step("timeout: upstream's negative answer after --wait-timeout", async () => {
    const w = world();
    try {
      const result = w.ask(w.request("never.ci.svc.cluster.local"), w.upstream("NXDOMAIN").next);
      await w.clock.tickAsync(WAIT_MS - 1);
      assert.equal(result.reply, undefined);
      await w.clock.tickAsync(1);
      assert.equal(decode(result.reply!).rcode, "NXDOMAIN");
      assert.equal(decode(result.reply!).id, 77);
      assert.equal(result.at, WAIT_MS);
      assert.equal(w.holds.outcomes.timeout, 1);
    } finally {
      w.clock.uninstall();
    }
  });

  await t.step(
    "SERVFAIL, REFUSED and no reply are held too; no reply ends in SERVFAIL",
    async () => {
      for (const rcode of ["SERVFAIL", "REFUSED", null]) {
        const w = world();
        try {
          const result = w.ask(w.request("x.ci.svc.cluster.local"), w.upstream(rcode).next);
          await w.clock.tickAsync(WAIT_MS - 1);
          assert.equal(result.reply, undefined, `${rcode} is held`);
          await w.clock.tickAsync(1);
          assert.equal(decode(result.reply!).rcode, rcode ?? "SERVFAIL");
        } finally {
          w.clock.uninstall();
        }
      }
    },
  );

  await t.step("NOERROR with data, NODATA and truncated replies are relayed at once", async () => {
    for (
      const [rcode, a, tc] of [["NOERROR", "10.43.0.20", false], ["NOERROR"], [
        "NXDOMAIN",
        undefined,
        true,
      ]] as const
    ) {
      const w = world();
      try {
        const request = w.request("postgres.ci.svc.cluster.local");
        const result = w.ask(request, w.upstream(rcode, a, tc).next);
        await w.clock.tickAsync(0);
        assert.ok(result.reply, `${rcode} ${a ?? "no data"} ${tc ? "TC" : ""} relayed`);
        assert.equal(result.at, 0, "without waiting");
        assert.equal(decode(result.reply).rcode, rcode);
        assert.equal(w.holds.outcomes.relayed, 1);
        assert.equal(request.path, "forwarded");
      } finally {
        w.clock.uninstall();
      }
    }
  });

  await t.step("other bare forms and non-internal names go to next untouched", async () => {
    const w = world();
    try {
      for (const name of ["db.test", "db.example.com", "db.svc.cluster.local"]) {
        const { next } = w.upstream("NXDOMAIN");
        const result = w.ask(w.request(name), next);
        await w.clock.tickAsync(0);
        assert.equal(decode(result.reply!).rcode, "NXDOMAIN", `${name} relayed at once`);
      }
      assert.equal(w.holds.size, 0);
      assert.equal(Object.values(w.holds.outcomes).reduce((a, b) => a + b), 0, "none entered");
    } finally {
      w.clock.uninstall();
    }
  });

  await t.step("the single-label bare form alone (c-ares) is held and wins the race", async () => {
    const w = world();
    try {
      const { next, asked } = w.upstream("NXDOMAIN");
      const result = w.ask(w.request("db"), next);
      await w.clock.tickAsync(1_000);
      assert.equal(result.reply, undefined, "held");
      assert.deepEqual(asked, ["db"], "upstream asked at once");
      w.index.upsert(podRecord("db1", ["127.0.0.2"], ["db"], ["n1"]));
      await w.clock.tickAsync(0);
      assert.deepEqual(decode(result.reply!).answers.map((a) => a.data), ["127.0.0.2"]);
      assert.equal(result.at, 1_000);
      assert.equal(w.holds.outcomes.answered, 1);
    } finally {
      w.clock.uninstall();
    }
  });

  await t.step("the bare form alone, never known: one --wait-timeout", async () => {
    const w = world();
    try {
      const result = w.ask(w.request("nosuch"), w.upstream("NXDOMAIN").next);
      await w.clock.tickAsync(WAIT_MS);
      assert.equal(decode(result.reply!).rcode, "NXDOMAIN");
      assert.equal(result.at, WAIT_MS);
    } finally {
      w.clock.uninstall();
    }
  });

  await t.step("search list walked (glibc's order): the bare form is not held again", async () => {
    const w = world();
    try {
      const suffixed = w.ask(w.request("db.ci.svc.cluster.local"), w.upstream("NXDOMAIN").next);
      await w.clock.tickAsync(WAIT_MS);
      assert.equal(decode(suffixed.reply!).rcode, "NXDOMAIN", "the suffixed form timed out");
      // then db.svc.cluster.local and db.cluster.local (forwarded), then the bare name
      const bare = w.ask(w.request("db"), w.upstream("NXDOMAIN").next);
      await w.clock.tickAsync(0);
      assert.equal(decode(bare.reply!).rcode, "NXDOMAIN", "relayed at once: one wait in all");
      assert.equal(bare.at, 0);
      // another source did not walk the list: its bare form is held
      const other = podRecord("other", ["127.0.0.7"], ["other"], ["n1"]);
      w.index.upsert(other);
      const fromOther = w.ask(w.request("db", "127.0.0.7"), w.upstream("NXDOMAIN").next);
      await w.clock.tickAsync(1);
      assert.equal(fromOther.reply, undefined, "held for the other source");
      await w.clock.tickAsync(WAIT_MS);
    } finally {
      w.clock.uninstall();
    }
  });

  await t.step(
    "the memory lasts --wait-timeout + 5 s, then the bare form is held again",
    async () => {
      const w = world();
      try {
        const suffixed = w.ask(w.request("db.ci.svc.cluster.local"), w.upstream("NOERROR").next);
        await w.clock.tickAsync(0);
        assert.ok(suffixed.reply, "relayed (the name exists upstream): still noted");
        await w.clock.tickAsync(WAIT_MS + 5_000 - 1);
        const inside = w.ask(w.request("db"), w.upstream("NXDOMAIN").next);
        await w.clock.tickAsync(0);
        assert.equal(inside.at, 0, "inside the window: relayed at once");
        await w.clock.tickAsync(1);
        const after = w.ask(w.request("db"), w.upstream("NXDOMAIN").next);
        await w.clock.tickAsync(0);
        assert.equal(after.reply, undefined, "past the window: held");
        await w.clock.tickAsync(WAIT_MS);
        assert.equal(decode(after.reply!).rcode, "NXDOMAIN");
      } finally {
        w.clock.uninstall();
      }
    },
  );

  await t.step("a non-kubedock source is never held once synced", async () => {
    const w = world();
    try {
      const result = w.ask(
        w.request("db.ci.svc.cluster.local", "127.0.0.99"),
        w.upstream("NXDOMAIN").next,
      );
      await w.clock.tickAsync(0);
      assert.equal(decode(result.reply!).rcode, "NXDOMAIN");
      assert.equal(w.holds.size, 0);
    } finally {
      w.clock.uninstall();
    }
  });

  await t.step("before the first sync any source is held, until the list says", async () => {
    const w = world({}, false);
    try {
      const stranger = w.ask(
        w.request("db.ci.svc.cluster.local", "127.0.0.99"),
        w.upstream("NXDOMAIN").next,
      );
      const pod = w.ask(w.request("db.ci.svc.cluster.local"), w.upstream("NXDOMAIN").next);
      await w.clock.tickAsync(500);
      assert.equal(w.holds.size, 2);
      w.index.replaceAll([w.client, podRecord("db1", ["127.0.0.2"], ["db"], ["n1"])]);
      await w.clock.tickAsync(0);
      assert.equal(
        decode(stranger.reply!).rcode,
        "NXDOMAIN",
        "not a kubedock pod: upstream's answer",
      );
      assert.deepEqual(decode(pod.reply!).answers.map((a) => a.data), ["127.0.0.2"]);
    } finally {
      w.clock.uninstall();
    }
  });

  await t.step("past --max-pending: SERVFAIL at once", async () => {
    const w = world({ maxPending: 3, maxPendingPerSource: 10 });
    try {
      const { next } = w.upstream("NXDOMAIN");
      for (let i = 0; i < 3; i++) w.ask(w.request(`h${i}.ci.svc.cluster.local`), next);
      const over = w.ask(w.request("over.ci.svc.cluster.local"), next);
      await w.clock.tickAsync(0);
      assert.equal(decode(over.reply!).rcode, "SERVFAIL");
      assert.equal(w.holds.outcomes.overflow, 1);
      assert.equal(w.holds.size, 3);
    } finally {
      w.clock.uninstall();
    }
  });

  await t.step(
    "past --max-pending-per-source: that source gets SERVFAIL, others are held",
    async () => {
      const w = world({ maxPendingPerSource: 2 });
      try {
        w.index.upsert(podRecord("other", ["127.0.0.5"], ["other"], ["n1"]));
        const { next } = w.upstream("NXDOMAIN");
        for (let i = 0; i < 2; i++) w.ask(w.request(`h${i}.ci.svc.cluster.local`), next);
        const over = w.ask(w.request("over.ci.svc.cluster.local"), next);
        const other = w.ask(w.request("db.ci.svc.cluster.local", "127.0.0.5"), next);
        await w.clock.tickAsync(0);
        assert.equal(decode(over.reply!).rcode, "SERVFAIL");
        assert.equal(w.holds.outcomes.source_limit, 1);
        assert.equal(other.reply, undefined, "another source is still held");
        assert.equal(w.holds.heldFrom(CLIENT), 2);
        w.index.upsert(podRecord("db1", ["127.0.0.2"], ["db"], ["n1"]));
        await w.clock.tickAsync(0);
        assert.equal(decode(other.reply!).answers.length, 1);
      } finally {
        w.clock.uninstall();
      }
    },
  );

  await t.step("shutdown releases every held query at once; nothing new is held", async () => {
    const w = world();
    try {
      w.index.upsert(podRecord("db1", ["127.0.0.2"], ["db"], ["n1"], false));
      const { next } = w.upstream("NXDOMAIN");
      const waiting = w.ask(w.request("db.ci.svc.cluster.local"), next);
      await w.clock.tickAsync(100);
      w.holds.close();
      await w.clock.tickAsync(0);
      assert.equal(decode(waiting.reply!).rcode, "SERVFAIL", "the client asks another replica");
      assert.equal(w.holds.outcomes.released, 1);
      const after = w.ask(w.request("db.ci.svc.cluster.local"), next);
      await w.clock.tickAsync(0);
      assert.equal(decode(after.reply!).rcode, "NXDOMAIN", "forwarded, not held");
      assert.equal(w.holds.size, 0);
    } finally {
      w.clock.uninstall();
    }
  });
});
