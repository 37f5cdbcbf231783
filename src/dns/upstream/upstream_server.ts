/**
 * One upstream DNS server, one attempt per call: a fresh random ID per query, the reply matched
 * on ID and question (and the QR bit: a query is no reply) and given back with the client's ID,
 * or `null` after `timeoutMs`. UDP
 * queries go over UDP (several source ports), TCP over TCP. Retries and failover between
 * servers are {@linkcode DnsUpstream}'s (upstream.ts).
 *
 * @module
 */

import { copyBytes } from "../wire/byte_slab.ts";
import type { HostPort } from "../../config/host_port.ts";
import { frame, FrameReader, writeAll } from "../wire/tcp_framing.ts";
import { isResponse, readU16, sameQuestion, setId, type Transport } from "../wire/message.ts";

/** Counters of one server's trouble, read by metrics. */
export interface UpstreamStats {
  timeouts: number;
  errors: number;
}

const idPool = new Uint16Array(4096);
let idPoolNext = idPool.length;

/** A message ID from the system's cryptographic random source (drawn in batches). */
function randomId(): number {
  if (idPoolNext === idPool.length) {
    crypto.getRandomValues(idPool);
    idPoolNext = 0;
  }
  return idPool[idPoolNext++];
}

interface PendingUdp {
  resolve: (reply: Uint8Array | null) => void;
  message: Uint8Array;
  questionEnd: number;
  clientId: number;
  deadline: number;
}

/** Several UDP sockets (source ports) towards one server, each with its own pending queries. */
class UdpExchanger {
  #conn: Deno.DatagramConn;
  #target: Deno.NetAddr;
  #timeoutMs: number;
  #stats: UpstreamStats;
  /** upstream id → pending query; insertion order is deadline order (one fixed timeout). */
  #pending = new Map<number, PendingUdp>();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** One handler for every send (no closure per query); the sweep fails the query at its deadline. */
  #sendFailed = () => {
    this.#stats.errors++;
  };

  constructor(target: HostPort, timeoutMs: number, stats: UpstreamStats) {
    const bindHost = target.hostname.includes(":") ? "::" : "0.0.0.0";
    this.#conn = Deno.listenDatagram({ hostname: bindHost, port: 0, transport: "udp" });
    this.#target = { transport: "udp", hostname: target.hostname, port: target.port };
    this.#timeoutMs = timeoutMs;
    this.#stats = stats;
    this.#receiveLoop();
  }

  exchange(message: Uint8Array, questionEnd: number): Promise<Uint8Array | null> {
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const pending: PendingUdp = {
        resolve,
        message, // the ID bytes are rewritten in place; nothing else reads them later
        questionEnd,
        clientId: readU16(message, 0),
        deadline: 0,
      };
      this.#send(pending);
    });
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    for (const pending of this.#pending.values()) pending.resolve(null);
    this.#pending.clear();
  }

  #send(pending: PendingUdp): void {
    let id: number;
    do id = randomId(); while (this.#pending.has(id));
    setId(pending.message, id);
    pending.deadline = performance.now() + this.#timeoutMs;
    this.#pending.set(id, pending);
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.min(50, this.#timeoutMs / 4));
    this.#conn.send(pending.message, this.#target).catch(this.#sendFailed);
  }

  #sweep(): void {
    const now = performance.now();
    for (const [id, pending] of this.#pending) {
      if (pending.deadline > now) break;
      this.#pending.delete(id);
      this.#stats.timeouts++;
      pending.resolve(null);
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  async #receiveLoop(): Promise<void> {
    const buffer = new Uint8Array(65535);
    let failures = 0;
    while (!this.#closed) {
      let data: Uint8Array;
      try {
        [data] = await this.#conn.receive(buffer);
        failures = 0;
      } catch {
        if (this.#closed) return;
        this.#stats.errors++;
        if (++failures > 100) await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      // a query is no reply: the message echoed back, or one of ours come back to us (an upstream
      // port that is our own socket's) would otherwise match its own ID and question
      if (data.length < 12 || !isResponse(data)) continue;
      const id = readU16(data, 0);
      const pending = this.#pending.get(id);
      if (!pending || !sameQuestion(pending.message, pending.questionEnd, data)) continue;
      this.#pending.delete(id);
      const reply = copyBytes(data); // whatever keeps a reply long copies it (cache, hold)
      setId(reply, pending.clientId);
      pending.resolve(reply);
    }
  }
}

/** One TCP exchange per query: connect, send, read one reply, all within `timeoutMs`. */
async function tcpExchangeOnce(
  target: HostPort,
  message: Uint8Array,
  questionEnd: number,
  timeoutMs: number,
): Promise<Uint8Array | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) =>
    timer = setTimeout(() => resolve(null), timeoutMs)
  );
  const connecting = Deno.connect({ hostname: target.hostname, port: target.port });
  const exchange = async (): Promise<Uint8Array | null> => {
    const conn = await connecting;
    await writeAll(conn, frame(message));
    const reader = new FrameReader(conn);
    for (;;) {
      const reply = await reader.next();
      if (!reply) return null;
      if (
        isResponse(reply) && readU16(reply, 0) === readU16(message, 0) &&
        sameQuestion(message, questionEnd, reply)
      ) {
        return reply;
      }
    }
  };
  try {
    return await Promise.race([exchange(), timeout]);
  } finally {
    clearTimeout(timer);
    // closing ends a read still under way; a connect still under way closes when it lands
    connecting.then((conn) => conn.close(), () => {}).catch(() => {});
  }
}

/**
 * One upstream server over UDP and TCP; each call is one attempt.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { freePort } from "../../fake/free_port.ts";
 * import { UpstreamServer } from "./upstream_server.ts";
 * const server = Deno.listenDatagram({ hostname: "127.0.0.1", port: freePort(), transport: "udp" });
 * (async () => { // an upstream that answers every query with its own bytes, QR set
 *   const [query, from] = await server.receive();
 *   const reply = query.slice();
 *   reply[2] |= 0x80;
 *   await server.send(reply, from);
 * })();
 * const upstream = new UpstreamServer(server.addr as Deno.NetAddr, 2000);
 * const query = new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]);
 * const reply = await upstream.attempt(query.slice(), query.length, "udp");
 * assert.deepEqual([reply![0], reply![1]], [0, 7]); // the client's ID restored
 * assert.equal(upstream.stats.timeouts, 0);
 * upstream.close();
 * server.close();
 * ```
 */
export class UpstreamServer {
  readonly target: HostPort;
  readonly stats: UpstreamStats = { timeouts: 0, errors: 0 };
  #timeoutMs: number;
  #udp: UdpExchanger[];
  #next = 0;

  /** `sockets` UDP source ports are used in turn, so one port's ID space is not the limit. */
  constructor(target: HostPort, timeoutMs: number, sockets = 4) {
    this.target = target;
    this.#timeoutMs = timeoutMs;
    this.#udp = Array.from(
      { length: sockets },
      () => new UdpExchanger(target, timeoutMs, this.stats),
    );
  }

  /**
   * Sends `message` (a whole query whose question ends at `questionEnd`) once. Resolves to the
   * reply, carrying the ID `message` had, or `null` when none came within the timeout. The ID
   * bytes of `message` are overwritten with the upstream ID; the rest is untouched.
   */
  attempt(
    message: Uint8Array,
    questionEnd: number,
    transport: Transport,
  ): Promise<Uint8Array | null> {
    if (transport === "udp") {
      this.#next = (this.#next + 1) % this.#udp.length;
      return this.#udp[this.#next].exchange(message, questionEnd);
    }
    return this.#attemptTcp(message, questionEnd);
  }

  close(): void {
    this.#udp.forEach((exchanger) => exchanger.close());
  }

  async #attemptTcp(message: Uint8Array, questionEnd: number): Promise<Uint8Array | null> {
    const clientId = readU16(message, 0);
    setId(message, randomId());
    try {
      const reply = await tcpExchangeOnce(this.target, message, questionEnd, this.#timeoutMs);
      if (reply) {
        setId(reply, clientId);
        return reply;
      }
      this.stats.timeouts++;
    } catch {
      this.stats.errors++;
    }
    return null;
  }
}
