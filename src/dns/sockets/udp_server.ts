/**
 * The UDP side of the DNS server: one receive loop with one reused buffer that never waits on
 * a reply being worked out; replies are sent when ready.
 *
 * @module
 */

import { copyBytes } from "../wire/byte_slab.ts";
import type { DeniedReplies } from "./denied_replies.ts";
import type { DnsReply, DnsResolver } from "../chain/handler.ts";
import { PendingReplies } from "./pending_replies.ts";
import {
  type DispatchContext,
  type DispatchStats,
  dispatchTo,
  type QueryObserver,
} from "./dispatch.ts";

/** What the UDP loop needs. */
export interface UdpServeOptions {
  resolve: DnsResolver;
  stats: DispatchStats;
  observe?: QueryObserver;
  /** Counts replies still being worked out or sent (the graceful drain waits for them). */
  pending?: PendingReplies;
  /** Counts (and tells of) replies the `net` permission refused; other send failures are ignored. */
  denied?: DeniedReplies;
}

/**
 * Serves DNS over an already-listening datagram socket until it is closed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveUdp } from "./udp_server.ts";
 * const conn = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
 * const stats = { dropped: 0, rejected: 0 };
 * const done = serveUdp(conn, { resolve: () => null, stats });
 * const client = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
 * await client.send(new Uint8Array([1, 2, 3]), conn.addr); // too short for a header
 * while (stats.dropped === 0) await new Promise((r) => setTimeout(r, 5));
 * assert.equal(stats.dropped, 1);
 * client.close();
 * conn.close();
 * await done;
 * ```
 */
export async function serveUdp(conn: Deno.DatagramConn, options: UdpServeOptions): Promise<void> {
  const pending = options.pending ?? new PendingReplies();
  const { finished } = pending;
  const context: DispatchContext = { ...options, transport: "udp" };
  const buffer = new Uint8Array(65535);
  // one handler for every send: a closure per reply would be garbage on the hot path
  const sendFailed = options.denied?.sendRefused ?? ignore;
  const laterSendFailed = (error: unknown) => {
    sendFailed(error);
    finished();
  };
  /** A reply worked out later, counted as pending until sent. */
  const sendLater = (bytes: DnsReply, client: Deno.Addr) => {
    if (bytes) conn.send(bytes, client).then(finished, laterSendFailed);
    else finished();
  };
  let failures = 0;
  for (;;) {
    let received: [Uint8Array, Deno.Addr];
    try {
      received = await conn.receive(buffer);
      failures = 0;
    } catch (error) {
      if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
        return;
      }
      // e.g. an ICMP error surfaced on the socket: keep serving, but never spin on a broken one
      if (++failures > 100) await new Promise((resolve) => setTimeout(resolve, 10));
      continue;
    }
    const [data, addr] = received;
    let reply: DnsReply | undefined;
    try {
      const source = (addr as Deno.NetAddr).hostname;
      reply = dispatchTo(context, copyBytes(data), source, addr, sendLater, finished);
    } catch {
      options.stats.dropped++;
      continue;
    }
    if (reply === undefined) pending.started(); // settled in a later microtask at the earliest
    else if (reply) conn.send(reply, addr).catch(sendFailed);
  }
}

function ignore(): void {}
