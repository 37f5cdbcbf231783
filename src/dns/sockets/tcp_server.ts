/**
 * The TCP side of the DNS server: length-framed messages, several queries per connection
 * answered as they become ready (RFC 7766 pipelining), an idle timeout, bounds on open
 * connections (in all and per source IP: past them the least recently used idle connection of
 * that source makes room, or the new one is closed), and a drain on close.
 *
 * @module
 */

import type { DeniedReplies } from "./denied_replies.ts";
import type { DnsResolver } from "../chain/handler.ts";
import {
  dispatch,
  type DispatchContext,
  type DispatchStats,
  type QueryObserver,
} from "./dispatch.ts";
import type { PendingReplies } from "./pending_replies.ts";
import { frame, FrameReader, writeAll } from "../wire/tcp_framing.ts";

/** Counters of the TCP side. */
export interface TcpStats {
  /** Connections open now. */
  open: number;
  /** Idle connections closed to make room for a new one (per-source or total bound). */
  evicted: number;
  /** New connections closed at once: the bound was reached and nothing was idle. */
  refused: number;
}

/** Bounds of the TCP side. */
export interface TcpLimits {
  /** Open connections in all (`--tcp-max`). */
  maxConnections: number;
  /** Open connections from one source IP (`--tcp-max-per-source`). */
  maxConnectionsPerSource: number;
  /** A connection with no query for this long is closed. */
  idleTimeoutMs: number;
}

/** Options of the TCP server. */
export interface TcpServeOptions {
  resolve: DnsResolver;
  stats: DispatchStats;
  tcp: TcpStats;
  limits: TcpLimits;
  observe?: QueryObserver;
  /** Counts replies still being worked out (the graceful drain waits for them). */
  pending?: PendingReplies;
  /** Counts (and tells of) replies the `net` permission refused. */
  denied?: DeniedReplies;
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

/** A small first buffer: queries are short; the reader grows it for a longer one. */
const FIRST_READ_BUFFER = 512;

/** One open connection. */
class Connection {
  readonly conn: Deno.Conn;
  readonly source: string;
  /** queries read but not answered yet */
  pending = 0;
  writing: Promise<void> = Promise.resolve();
  handled: Promise<void> = Promise.resolve();
  closed = false;
  #idle: ReturnType<typeof setTimeout> | undefined;
  readonly #denied: DeniedReplies | undefined;

  constructor(conn: Deno.Conn, denied?: DeniedReplies) {
    this.conn = conn;
    this.source = (conn.remoteAddr as Deno.NetAddr).hostname;
    this.#denied = denied;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.#idle);
    try {
      this.conn.close();
    } catch { /* closed */ }
  }

  armIdle(ms: number): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => this.close(), ms);
  }

  send(reply: Uint8Array | null): void {
    if (reply && !this.closed) {
      this.writing = this.writing.then(() => writeAll(this.conn, frame(reply))).catch((error) => {
        this.#denied?.sendFailed(this.source, error);
        this.close();
      });
    }
  }
}

/** Open connections, least recently used first, in all and per source. */
class ConnectionTable {
  readonly all = new Set<Connection>();
  readonly #bySource = new Map<string, Set<Connection>>();

  add(connection: Connection): void {
    this.all.add(connection);
    let mine = this.#bySource.get(connection.source);
    if (!mine) this.#bySource.set(connection.source, mine = new Set());
    mine.add(connection);
  }

  delete(connection: Connection): void {
    this.all.delete(connection);
    const mine = this.#bySource.get(connection.source);
    if (mine?.delete(connection) && mine.size === 0) this.#bySource.delete(connection.source);
  }

  /** Marks `connection` as the most recently used. */
  touch(connection: Connection): void {
    if (!this.all.delete(connection)) return;
    this.all.add(connection);
    const mine = this.#bySource.get(connection.source)!;
    mine.delete(connection);
    mine.add(connection);
  }

  countFrom(source: string): number {
    return this.#bySource.get(source)?.size ?? 0;
  }

  /** The least recently used connection with no query pending, of `source` or of anyone. */
  oldestIdle(source?: string): Connection | undefined {
    const candidates = source === undefined ? this.all : this.#bySource.get(source);
    for (const connection of candidates ?? []) if (connection.pending === 0) return connection;
    return undefined;
  }
}

/**
 * Serves DNS over an already-listening TCP socket.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveTcp } from "./tcp_server.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const tcp = { open: 0, evicted: 0, refused: 0 };
 * const server = serveTcp(listener, {
 *   resolve: () => null,
 *   stats: { dropped: 0, rejected: 0 },
 *   tcp,
 *   limits: { maxConnections: 10, maxConnectionsPerSource: 2, idleTimeoutMs: 1000 },
 * });
 * await server.close();
 * await server.finished;
 * assert.equal(tcp.open, 0);
 * ```
 */
export function serveTcp(listener: Deno.Listener, options: TcpServeOptions): TcpServer {
  const table = new ConnectionTable();
  const { limits, tcp } = options;
  const context: DispatchContext = { ...options, transport: "tcp" };
  const closeListener = () => {
    try {
      listener.close();
    } catch { /* closed */ }
  };
  /** Makes room for one more connection from `source`; false when none can be made. */
  const makeRoom = (source: string): boolean => {
    const overSource = table.countFrom(source) >= limits.maxConnectionsPerSource;
    const overAll = table.all.size >= limits.maxConnections;
    if (!overSource && !overAll) return true;
    const victim = table.oldestIdle(source) ?? (overSource ? undefined : table.oldestIdle());
    if (!victim) return false;
    tcp.evicted++;
    table.delete(victim);
    victim.close();
    return true;
  };
  const finished = (async () => {
    try {
      for await (const conn of listener) {
        const connection = new Connection(conn, options.denied);
        if (!makeRoom(connection.source)) {
          tcp.refused++;
          connection.close();
          continue;
        }
        table.add(connection);
        tcp.open = table.all.size;
        connection.handled = serveConnection(connection, table, context, options).finally(() => {
          table.delete(connection);
          tcp.open = table.all.size;
        });
      }
    } catch { /* listener closed */ }
    await Promise.allSettled([...table.all].map((connection) => connection.handled));
  })();
  return {
    finished,
    stopAccepting() {
      closeListener();
    },
    async close() {
      closeListener();
      await Promise.all([...table.all].map(async (connection) => {
        await connection.writing;
        connection.close();
      }));
    },
  };
}

async function serveConnection(
  connection: Connection,
  table: ConnectionTable,
  context: DispatchContext,
  options: TcpServeOptions,
): Promise<void> {
  const reader = new FrameReader(connection.conn, FIRST_READ_BUFFER);
  const idleMs = options.limits.idleTimeoutMs;
  const answered = new Set<Promise<void>>();
  connection.armIdle(idleMs);
  try {
    for (;;) {
      const message = await reader.next();
      if (message === null) break;
      connection.armIdle(idleMs);
      table.touch(connection);
      const reply = dispatch(context, message, connection.source);
      if (reply instanceof Promise) {
        connection.pending++;
        options.pending?.started();
        const done = reply.then((bytes) => connection.send(bytes), () => {}).finally(() => {
          connection.pending--;
          options.pending?.finished();
          answered.delete(done);
        });
        answered.add(done);
      } else {
        connection.send(reply);
      }
    }
  } catch { /* reset, EOF inside a message, or closed by the idle timer or to make room */ }
  await Promise.allSettled([...answered]);
  await connection.writing;
  connection.close();
}
