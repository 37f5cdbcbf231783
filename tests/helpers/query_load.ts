/**
 * A steady lookup load from one source IP, as a test container would make it: a UDP query every
 * `udpEveryMs` on one socket, and a query over a *new* TCP connection every `tcpEveryMs`. Every
 * reply is checked against the expected A records. Bounded in count and time: it stops after
 * `maxMs` (or `stop()`), and a query not answered within `timeoutMs` counts as lost.
 */
import net from "node:net";
import { frame } from "../../src/dns/wire/tcp_framing.ts";
import { decode, encodeQuery } from "../../src/testing/packet.ts";

/** What happened to the queries of one transport. */
export interface LoadTally {
  sent: number;
  right: number;
  /** Answered, but not with the expected records. */
  wrong: string[];
  /** Not answered within the timeout (or the connection failed). */
  lost: number;
}

/** Options of a load. */
export interface QueryLoadOptions {
  server: { hostname: string; port: number };
  source: string;
  name: string;
  /** The A records every answer must have, in any order. */
  expect: string[];
  udpEveryMs?: number;
  tcpEveryMs?: number;
  timeoutMs?: number;
  /** The load stops by itself after this long. */
  maxMs?: number;
}

const tally = (): LoadTally => ({ sent: 0, right: 0, wrong: [], lost: 0 });

function judge(reply: Uint8Array, expect: string[], into: LoadTally): void {
  const message = decode(reply);
  const got = message.answers.filter((a) => a.type === "A").map((a) => String(a.data)).sort();
  if (message.rcode === "NOERROR" && got.join() === [...expect].sort().join()) into.right++;
  else into.wrong.push(`${message.rcode} ${got.join(",")}`);
}

/**
 * One query over a new TCP connection from `source` (Deno.connect cannot choose its source
 * address; node:net can); the reply, or `null` when none came within `timeoutMs`.
 */
export function tcpExchange(
  server: { hostname: string; port: number },
  source: string,
  query: Uint8Array,
  timeoutMs: number,
): Promise<Uint8Array | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: server.hostname, port: server.port, localAddress: source });
    let buffered = new Uint8Array(0);
    const done = (reply: Uint8Array | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on("error", () => done(null));
    socket.on("connect", () => socket.write(frame(query)));
    socket.on("data", (chunk: Uint8Array) => {
      const joined = new Uint8Array(buffered.length + chunk.length);
      joined.set(buffered);
      joined.set(chunk, buffered.length);
      buffered = joined;
      const length = buffered.length >= 2 ? (buffered[0] << 8) | buffered[1] : -1;
      if (length >= 0 && buffered.length >= length + 2) done(buffered.slice(2, 2 + length));
    });
  });
}

/**
 * Starts the load; `stop()` ends it and resolves once every query sent is answered or timed out.
 */
export function startQueryLoad(
  options: QueryLoadOptions,
): { stop(): Promise<{ udp: LoadTally; tcp: LoadTally }> } {
  const { server, source, name, expect } = options;
  const timeoutMs = options.timeoutMs ?? 1_000;
  const udp = tally();
  const tcp = tally();
  const conn = Deno.listenDatagram({ hostname: source, port: 0, transport: "udp" });
  const waiting = new Map<number, ReturnType<typeof setTimeout>>();
  const receiving = (async () => {
    try {
      for (;;) {
        const [data] = await conn.receive();
        const id = (data[0] << 8) | data[1];
        const timer = waiting.get(id);
        if (timer === undefined) continue;
        clearTimeout(timer);
        waiting.delete(id);
        judge(data, expect, udp);
      }
    } catch { /* closed */ }
  })();
  let nextId = 1;
  const udpTimer = setInterval(() => {
    const id = nextId++ & 0xffff;
    udp.sent++;
    waiting.set(id, setTimeout(() => (waiting.delete(id), udp.lost++), timeoutMs));
    conn.send(encodeQuery(name, "A", id), { transport: "udp", ...server }).catch(() => {});
  }, options.udpEveryMs ?? 10);
  const tcpQueries = new Set<Promise<void>>();
  const tcpOnce = async () => {
    tcp.sent++;
    const reply = await tcpExchange(server, source, encodeQuery(name, "A", 7), timeoutMs);
    if (reply) judge(reply, expect, tcp);
    else tcp.lost++;
  };
  const tcpTimer = setInterval(() => {
    const query = tcpOnce().finally(() => tcpQueries.delete(query));
    tcpQueries.add(query);
  }, options.tcpEveryMs ?? 100);
  let stopped: Promise<{ udp: LoadTally; tcp: LoadTally }> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      clearInterval(udpTimer);
      clearInterval(tcpTimer);
      clearTimeout(maxTimer);
      const deadline = Date.now() + timeoutMs + 200;
      while (waiting.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await Promise.allSettled([...tcpQueries]);
      for (const timer of waiting.values()) clearTimeout(timer);
      udp.lost += waiting.size;
      waiting.clear();
      conn.close();
      await receiving;
      return { udp, tcp };
    })();
  const maxTimer = setTimeout(stop, options.maxMs ?? 30_000);
  return { stop };
}
