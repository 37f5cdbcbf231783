/** A raw UDP DNS client bound to a chosen source IP, for packets dig will not send. */

/** A UDP socket bound to `source`, able to send raw bytes and wait for replies. */
export class RawUdpClient {
  readonly conn: Deno.DatagramConn;

  constructor(source: string) {
    this.conn = Deno.listenDatagram({ hostname: source, port: 0, transport: "udp" });
  }

  /** Sends `bytes` to `server` without waiting. */
  async send(bytes: Uint8Array, server: { hostname: string; port: number }): Promise<void> {
    await this.conn.send(bytes, { transport: "udp", ...server });
  }

  /** The next datagram, or `null` after `timeoutMs`. */
  async receive(timeoutMs: number): Promise<Uint8Array | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) =>
      timer = setTimeout(() => resolve(null), timeoutMs)
    );
    const received = this.conn.receive().then(([data]) => data.slice());
    try {
      return await Promise.race([received, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends and waits for one reply. */
  async exchange(
    bytes: Uint8Array,
    server: { hostname: string; port: number },
    timeoutMs = 1_000,
  ): Promise<Uint8Array | null> {
    await this.send(bytes, server);
    return await this.receive(timeoutMs);
  }

  close(): void {
    this.conn.close();
  }
}
