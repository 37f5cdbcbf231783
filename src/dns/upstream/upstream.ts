/**
 * Forwarding to the upstream DNS servers with failover, like CoreDNS's `forward` (docs/dns.md,
 * "Forwarding"): each query gets two attempts of `--upstream-timeout`, the first on the first
 * server that is up (in the order given), the retry on the next one that is up (the same one when
 * it is the only one). A server whose attempts fail `maxFails` times in a row is marked down and
 * skipped; it is probed in the background (`. IN NS` over UDP) until it answers, then used again.
 * Only UDP attempts count towards marking a server down (TCP ones still fail over). When
 * every server is down the attempts go to them in order anyway, so a recovered upstream is found
 * even before its probe.
 *
 * @module
 */

import { formatHostPort, type HostPort } from "../../config/host_port.ts";
import { readU16, setId, type Transport } from "../wire/message.ts";
import { UpstreamServer, type UpstreamStats } from "./upstream_server.ts";

export type { UpstreamStats };

/** Something that relays a query upstream and returns the reply with the client's ID. */
export interface Upstream {
  /**
   * Sends `message` (a whole query whose question ends at `questionEnd`) upstream. Resolves to
   * the reply, carrying the query's original ID, or `null` when every attempt failed. The first
   * two bytes of `message` (its ID) are overwritten with the upstream ID; the rest is untouched.
   */
  exchange(
    message: Uint8Array,
    questionEnd: number,
    transport: Transport,
  ): Promise<Uint8Array | null>;
  /** Stops the sockets; pending exchanges resolve to `null`. */
  close(): void;
  /** Whether every server is marked down now (serve-stale then answers at once). */
  allDown?(): boolean;
}

/** One upstream server as metrics and logs see it. */
export interface UpstreamHealth {
  /** `host:port`. */
  readonly address: string;
  readonly up: boolean;
  /** Attempts sent to it (probes not counted). */
  readonly attempts: number;
  readonly stats: Readonly<UpstreamStats>;
}

/** How often a down server is probed unless told otherwise (CoreDNS's `health_check` default). */
export const DEFAULT_PROBE_INTERVAL_MS = 500;

/** Options of {@linkcode DnsUpstream}. */
export interface DnsUpstreamOptions {
  /** Failed attempts in a row that mark a server down (default 2, as CoreDNS's `max_fails`). */
  maxFails?: number;
  /** How often a down server is probed (default {@linkcode DEFAULT_PROBE_INTERVAL_MS}). */
  probeIntervalMs?: number;
  /** Told when a server goes down or comes back. */
  onChange?: (server: UpstreamHealth, failuresInARow: number) => void;
}

class ServerSlot implements UpstreamHealth {
  readonly server: UpstreamServer;
  readonly address: string;
  up = true;
  attempts = 0;
  failuresInARow = 0;
  probe: ReturnType<typeof setInterval> | undefined;
  probing = false;

  constructor(server: UpstreamServer) {
    this.server = server;
    this.address = formatHostPort(server.target);
  }

  get stats(): UpstreamStats {
    return this.server.stats;
  }
}

/** `. IN NS` without recursion: any reply at all shows the server is answering. */
function probeQuery(): Uint8Array {
  return new Uint8Array([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]);
}

/**
 * The upstream servers, in order, with failover.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { freePort } from "../../fake/free_port.ts";
 * import { DnsUpstream } from "./upstream.ts";
 * const server = Deno.listenDatagram({ hostname: "127.0.0.1", port: freePort(), transport: "udp" });
 * (async () => { // an upstream that answers every query with its own bytes, QR set
 *   const [query, from] = await server.receive();
 *   const reply = query.slice();
 *   reply[2] |= 0x80;
 *   await server.send(reply, from);
 * })();
 * const dead = { hostname: "127.0.0.1", port: freePort() }; // nothing listens there
 * const upstream = new DnsUpstream([dead, server.addr as Deno.NetAddr], 200, { maxFails: 1 });
 * const query = new Uint8Array([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 100, 98, 0, 0, 1, 0, 1]);
 * const reply = await upstream.exchange(query.slice(), query.length, "udp");
 * assert.deepEqual([reply![0], reply![1]], [0, 7]); // the second answered, with the client's ID
 * assert.deepEqual(upstream.servers.map((s) => s.up), [false, true]); // the first is marked down
 * upstream.close();
 * server.close();
 * ```
 */
export class DnsUpstream implements Upstream {
  #slots: ServerSlot[];
  #maxFails: number;
  #probeIntervalMs: number;
  #onChange: DnsUpstreamOptions["onChange"];
  #upCount: number;
  #closed = false;

  constructor(
    targets: HostPort | readonly HostPort[],
    timeoutMs: number,
    options: DnsUpstreamOptions = {},
  ) {
    const list = Array.isArray(targets) ? targets : [targets as HostPort];
    if (list.length === 0) throw new RangeError("DnsUpstream needs at least one server");
    this.#slots = list.map((target) => new ServerSlot(new UpstreamServer(target, timeoutMs)));
    this.#upCount = this.#slots.length;
    this.#maxFails = options.maxFails ?? 2;
    this.#probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.#onChange = options.onChange;
  }

  /** Every server, in order. */
  get servers(): readonly UpstreamHealth[] {
    return this.#slots;
  }

  /** Whether every server is marked down now. */
  allDown(): boolean {
    return this.#upCount === 0;
  }

  /** Timeouts and errors of all servers together. */
  get stats(): UpstreamStats {
    return this.#slots.reduce(
      (sum, slot) => ({
        timeouts: sum.timeouts + slot.stats.timeouts,
        errors: sum.errors + slot.stats.errors,
      }),
      { timeouts: 0, errors: 0 },
    );
  }

  exchange(
    message: Uint8Array,
    questionEnd: number,
    transport: Transport,
  ): Promise<Uint8Array | null> {
    if (this.#closed) return Promise.resolve(null);
    // the first attempt in one `then` (no async frame): most queries need no second
    const clientId = readU16(message, 0);
    const first = this.#pick(-1);
    const slot = this.#slots[first];
    slot.attempts++;
    return slot.server.attempt(message, questionEnd, transport).then((reply) => {
      if (reply) {
        this.#answered(slot);
        return reply;
      }
      // health is UDP's (the probe's): a cluster whose policy blocks TCP 53 does not lose its DNS
      if (transport === "udp") this.#failed(slot);
      return this.#retry(first, message, questionEnd, transport, clientId);
    });
  }

  /** The second attempt, on the next server that is up, with the client's ID put back. */
  async #retry(
    previous: number,
    message: Uint8Array,
    questionEnd: number,
    transport: Transport,
    clientId: number,
  ): Promise<Uint8Array | null> {
    if (this.#closed) return null;
    const slot = this.#slots[this.#pick(previous)];
    setId(message, clientId);
    slot.attempts++;
    const reply = await slot.server.attempt(message, questionEnd, transport);
    if (reply) this.#answered(slot);
    else if (transport === "udp") this.#failed(slot);
    return reply;
  }

  close(): void {
    this.#closed = true;
    for (const slot of this.#slots) {
      clearInterval(slot.probe);
      slot.server.close();
    }
  }

  /** The first server that is up after `previous` in order (wrapping); any, when all are down. */
  #pick(previous: number): number {
    const n = this.#slots.length;
    for (let step = 1; step <= n; step++) {
      const index = (previous + step) % n;
      if (this.#slots[index].up) return index;
    }
    return (previous + 1) % n;
  }

  #answered(slot: ServerSlot): void {
    slot.failuresInARow = 0;
    if (slot.up) return;
    slot.up = true;
    this.#upCount++;
    clearInterval(slot.probe);
    slot.probe = undefined;
    this.#onChange?.(slot, 0);
  }

  #failed(slot: ServerSlot): void {
    slot.failuresInARow++;
    if (!slot.up || slot.failuresInARow < this.#maxFails || this.#closed) return;
    slot.up = false;
    this.#upCount--;
    this.#onChange?.(slot, slot.failuresInARow);
    slot.probe = setInterval(() => this.#probe(slot), this.#probeIntervalMs);
  }

  async #probe(slot: ServerSlot): Promise<void> {
    if (slot.probing || slot.up || this.#closed) return;
    slot.probing = true;
    try {
      const reply = await slot.server.attempt(probeQuery(), 17, "udp");
      if (reply && !this.#closed) this.#answered(slot);
    } finally {
      slot.probing = false;
    }
  }
}
