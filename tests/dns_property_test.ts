/**
 * Properties of the pure resolve path (parse → handler chain → reply, no sockets): whatever the
 * index holds and whatever arrives, every reply decodes with an independent decoder (dns-packet)
 * and fits the client's size.
 */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../src/config/config.ts";
import { dispatch, type DispatchContext } from "../src/dns/sockets/dispatch.ts";
import type { DnsReply } from "../src/dns/chain/handler.ts";
import { LoopProbe } from "../src/dns/chain/loop_probe.ts";
import { buildResolver } from "../src/dns/server.ts";
import { DnsServerState } from "../src/dns/state.ts";
import type { Upstream } from "../src/dns/upstream/upstream.ts";
import { type Transport } from "../src/dns/wire/message.ts";
import { NetworkIndex } from "../src/index/network_index.ts";
import type { PodRecord } from "../src/index/pod_record.ts";
import { mutate, random } from "./helpers/mutate.ts";
import { decode, encodeQuery } from "../src/testing/packet.ts";

const SUFFIX = "ci.svc.cluster.local";
const CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
const NON_ASCII = ["é", "ü", "中", "ß", "ø"];

/** An alias of 1–300 characters: labels of 0–70, dots at the ends sometimes, any case, non-ASCII. */
function randomAlias(rnd: () => number): string {
  const target = 1 + Math.floor(rnd() ** 2 * 300);
  const labels: string[] = [];
  let length = 0;
  while (length < target) {
    const size = Math.floor(rnd() ** 2 * 71);
    let label = "";
    for (let i = 0; i < size; i++) {
      label += rnd() < 0.03
        ? NON_ASCII[Math.floor(rnd() * NON_ASCII.length)]
        : CHARS[Math.floor(rnd() * CHARS.length)];
    }
    labels.push(label);
    length += label.length + 1;
  }
  let alias = labels.join(".").slice(0, target) || "x";
  if (rnd() < 0.05) alias = `.${alias}`;
  if (rnd() < 0.05) alias = `${alias}.`;
  return alias;
}

function randomPods(rnd: () => number, count: number): PodRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const aliases = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => randomAlias(rnd));
    if (rnd() < 0.5) aliases.push(rnd() < 0.5 ? "db" : `short${i}`);
    const ips = [`127.0.${1 + (i >> 8)}.${i & 255}`];
    if (rnd() < 0.3) ips.push(`fd00::${i.toString(16)}`);
    return {
      uid: `uid-${i}`,
      name: `pod${i}`,
      ips,
      aliases,
      networks: [`n${Math.floor(rnd() * 3)}`, ...(rnd() < 0.2 ? ["n9"] : [])],
      answerable: rnd() < 0.8,
    };
  });
}

/** An upstream that answers at once: NXDOMAIN, or NOERROR with one A record for `ext.*`. */
const instantUpstream: Upstream = {
  exchange(message, questionEnd) {
    const isExt = message[13] === 101 && message[14] === 120 && message[15] === 116; // "ext"
    const reply = new Uint8Array(questionEnd + (isExt ? 16 : 0));
    reply.set(message.subarray(0, questionEnd));
    reply[2] = 0x81;
    reply[3] = isExt ? 0x80 : 0x83;
    reply.fill(0, 6, 12);
    if (isExt) {
      reply[7] = 1;
      reply.set([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 192, 0, 2, 7], questionEnd);
    }
    return Promise.resolve(reply);
  },
  close() {},
};

function world(pods: PodRecord[]) {
  const index = new NetworkIndex();
  index.replaceAll(pods);
  const state = DnsServerState.fromConfig({ ...DEFAULT_CONFIG, waitTimeoutMs: 1 });
  const resolve = buildResolver({
    listen: { hostname: "127.0.0.1", port: 0 },
    index,
    upstream: instantUpstream,
    ttl: 10,
    searchSuffix: SUFFIX,
    internalDomains: ["test"],
    state,
  }, new LoopProbe({ shared: 0, loops: 0 }));
  const contexts: Record<Transport, DispatchContext> = {
    udp: { resolve, stats: state.dispatch, transport: "udp" },
    tcp: { resolve, stats: state.dispatch, transport: "tcp" },
  };
  return { index, state, contexts };
}

function reverseName(ip: string): string {
  if (!ip.includes(":")) return `${ip.split(".").reverse().join(".")}.in-addr.arpa`;
  const hex = ip.split("::").length === 2
    ? ip.replace("::", ":" + "0:".repeat(8 - ip.split(":").filter(Boolean).length)).split(":")
      .filter(Boolean).map((g) => g.padStart(4, "0")).join("")
    : ip.split(":").map((g) => g.padStart(4, "0")).join("");
  return `${[...hex].reverse().join(".")}.ip6.arpa`;
}

/** Checks one reply: it decodes, carries the query's ID, and fits the client's UDP size. */
function checkReply(reply: DnsReply, query: Uint8Array, transport: Transport, udpSize?: number) {
  if (reply === null) return undefined;
  const decoded = decode(reply);
  assert.equal(decoded.id, (query[0] << 8) | query[1], "the query's ID");
  if (transport === "udp") {
    const limit = udpSize ? Math.min(Math.max(udpSize, 512), 1232) : 512;
    assert.ok(reply.length <= limit, `${reply.length} bytes over the client's ${limit}`);
  }
  return decoded;
}

Deno.test("property: random index contents and queries give only decodable replies", async () => {
  const rnd = random(20261201);
  const pods = randomPods(rnd, 300);
  const { contexts } = world(pods);
  const types = ["A", "AAAA", "PTR", "MX", "TXT", "ANY"];
  let internal = 0;
  let checked = 0;
  let skipped = 0;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < 5_000; i++) {
    const pod = pods[Math.floor(rnd() * pods.length)];
    const alias = pod.aliases[Math.floor(rnd() * pod.aliases.length)];
    const choice = rnd();
    const name = choice < 0.3
      ? alias
      : choice < 0.45
      ? `${alias}.${SUFFIX}`
      : choice < 0.55
      ? alias.toUpperCase()
      : choice < 0.75
      ? reverseName(pod.ips[Math.floor(rnd() * pod.ips.length)])
      : choice < 0.85
      ? `ext${i}.example`
      : randomAlias(rnd);
    const type = choice >= 0.55 && choice < 0.75 ? "PTR" : types[Math.floor(rnd() * types.length)];
    const udpSize = [undefined, 512, 1232, 4096][Math.floor(rnd() * 4)];
    let query: Uint8Array;
    try {
      query = encodeQuery(name, type, i & 0xffff, udpSize);
    } catch {
      skipped++; // dns-packet will not write it either: not a query anyone can send
      continue;
    }
    const transport: Transport = rnd() < 0.8 ? "udp" : "tcp";
    const source = rnd() < 0.9 ? pods[Math.floor(rnd() * pods.length)].ips[0] : "127.0.0.250";
    const reply = dispatch(contexts[transport], query.slice(), source);
    const check = (bytes: DnsReply) => {
      const decoded = checkReply(bytes, query, transport, udpSize);
      checked++;
      if (decoded?.flag_aa && decoded.answers.length > 0) internal++;
    };
    if (reply instanceof Promise) pending.push(reply.then(check));
    else check(reply);
  }
  await Promise.all(pending);
  assert.ok(checked > 4_000, `${checked} replies checked (${skipped} queries not encodable)`);
  assert.ok(internal > 500, `only ${internal} internal answers: the index was not exercised`);
});

Deno.test("property: 100,000 random and mutated packets, no exception, every reply decodes", async () => {
  const rnd = random(4242);
  const pods = randomPods(rnd, 50);
  pods.push({
    uid: "db",
    name: "db",
    ips: ["127.0.0.2"],
    aliases: ["db", "x".repeat(64), "a".repeat(70) + ".nl"],
    networks: ["n0"],
    answerable: true,
  });
  const { contexts, state } = world(pods);
  const bases = [
    encodeQuery("db", "A", 1),
    encodeQuery("db.ci.svc.cluster.local", "AAAA", 2, 1232),
    encodeQuery("2.0.0.127.in-addr.arpa", "PTR", 3),
    encodeQuery("ext.example", "A", 4, 4096),
    encodeQuery("kafka.test", "A", 5),
    encodeQuery("nope.ci.svc.cluster.local", "A", 6),
    encodeQuery("short3", "MX", 7, 512),
  ];
  const sources = ["127.0.0.2", ...pods.slice(0, 10).map((p) => p.ips[0]), "127.0.0.250"];
  let replies = 0;
  for (let batch = 0; batch < 20; batch++) {
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 5_000; i++) {
      const message = rnd() < 0.9
        ? mutate(bases[Math.floor(rnd() * bases.length)], rnd)
        : Uint8Array.from({ length: Math.floor(rnd() * 80) }, () => Math.floor(rnd() * 256));
      const transport: Transport = rnd() < 0.8 ? "udp" : "tcp";
      const reply = dispatch(contexts[transport], message.slice(), sources[i % sources.length]);
      const check = (bytes: DnsReply) => {
        if (bytes === null) return;
        replies++;
        const decoded = decode(bytes); // throws on a malformed reply
        assert.equal(decoded.id, (message[0] << 8) | message[1]);
      };
      if (reply instanceof Promise) pending.push(reply.then(check));
      else check(reply);
    }
    await Promise.all(pending);
  }
  assert.ok(replies > 50_000, `${replies} replies decoded`);
  assert.ok(state.dispatch.dropped > 1_000 && state.dispatch.rejected > 1_000);
  assert.equal(state.holds.size, 0, "nothing left held");
});
