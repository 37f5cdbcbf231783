/**
 * The TCP side of the DNS server: length-framed messages, several queries per connection
 * answered as they become ready (RFC 7766 pipelining), an idle timeout, and a drain on close.
 *
 * @module
 */

import type { DnsResolver } from "./handler.ts";
import { dispatch, type DispatchStats, type QueryObserver } from "./dispatch.ts";
import { frame, FrameReader, writeAll } from "./tcp_framing.ts";

/** Options of the TCP server. */
export interface TcpServerOptions {
  /** A connection with no query for this long is closed. */
  idleTimeoutMs: number;
  observe?: QueryObserver;
  /** Told of every reply still being worked out (the graceful drain waits for them). */
  track?: (reply: Promise<unknown>) => void;
}

/** A running TCP DNS server. */
export interface TcpServer {
  /** Resolves when the accept loop has ended. */
  finished: Promise<void>;
  /** Stops accepting; open connections finish their in-flight queries, then close. */
  stopAccepting(): void;
  /** Closes every connection once the replies being written are out. */
  close(): Promise<void>;
}

/**
 * Serves DNS over an already-listening TCP socket.
 *
 * @example
 * ```ts
 * import { serveTcp } from "./tcp_server.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const server = serveTcp(listener, () => null, { dropped: 0, rejected: 0 }, { idleTimeoutMs: 10000 });
 * server.close();
 * await server.finished;
 * ```
 */
export function serveTcp(
  listener: Deno.Listener,
  resolve: DnsResolver,
  stats: DispatchStats,
  options: TcpServerOptions,
): TcpServer {
  /** open connection → its handler, and the replies it is still writing */
  const open = new Map<Deno.Conn, { handled: Promise<void>; writes: () => Promise<void> }>();
  const closeListener = () => {
    try {
      listener.close();
    } catch { /* closed */ }
  };
  const finished = (async () => {
    try {
      for await (const conn of listener) {
        const entry = { handled: Promise.resolve(), writes: () => Promise.resolve() };
        open.set(conn, entry);
        entry.handled = serveConnection(
          conn,
          resolve,
          stats,
          options,
          (writes) => entry.writes = writes,
        )
          .finally(() => open.delete(conn));
      }
    } catch { /* listener closed */ }
    await Promise.allSettled([...open.values()].map((entry) => entry.handled));
  })();
  return {
    finished,
    stopAccepting() {
      closeListener();
    },
    async close() {
      closeListener();
      await Promise.all([...open].map(async ([conn, { writes }]) => {
        await writes();
        try {
          conn.close();
        } catch { /* closed */ }
      }));
    },
  };
}

async function serveConnection(
  conn: Deno.Conn,
  resolve: DnsResolver,
  stats: DispatchStats,
  options: TcpServerOptions,
  register: (writes: () => Promise<void>) => void,
): Promise<void> {
  const source = (conn.remoteAddr as Deno.NetAddr).hostname;
  const reader = new FrameReader(conn);
  let writing = Promise.resolve();
  let idle: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearTimeout(idle);
    try {
      conn.close();
    } catch { /* closed */ }
  };
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(close, options.idleTimeoutMs);
  };
  const send = (reply: Uint8Array | null) => {
    if (reply && !closed) {
      writing = writing.then(() => writeAll(conn, frame(reply))).catch(close);
    }
  };
  const pending = new Set<Promise<void>>();
  register(() => writing.catch(() => {}));
  armIdle();
  try {
    for (;;) {
      const message = await reader.next();
      if (message === null) break;
      armIdle();
      const reply = dispatch(message, source, "tcp", resolve, stats, options.observe);
      if (reply instanceof Promise) {
        const done = reply.then(send, () => {}).finally(() => {
          pending.delete(done);
        });
        pending.add(done);
        options.track?.(done);
      } else {
        send(reply);
      }
    }
  } catch { /* reset, EOF inside a message, or closed by the idle timer */ }
  await Promise.allSettled([...pending]);
  await writing;
  close();
}
