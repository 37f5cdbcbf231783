/**
 * An HTTP CONNECT proxy that maps in-cluster Service names (`name.ns.svc:port`) to loopback
 * addresses. The fake API server reaches webhooks through it exactly as kube-apiserver does: by
 * the Service's DNS name, so TLS verification checks the real name against `caBundle`.
 *
 * @module
 */

import type { HostPort } from "../config/host_port.ts";

/**
 * The proxy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ServiceProxy } from "./service_proxy.ts";
 * const proxy = ServiceProxy.start();
 * proxy.register("kubedock-dns.ci.svc:443", { hostname: "127.0.0.1", port: 8443 });
 * assert.match(proxy.url, /^http:\/\/127\.0\.0\.1:\d+$/);
 * await proxy.stop();
 * ```
 */
export class ServiceProxy {
  #listener: Deno.Listener;
  #routes = new Map<string, HostPort>();
  #open = new Set<Deno.Conn>();
  #loop: Promise<void>;
  #stopped = false;

  private constructor() {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#loop = this.#accept();
  }

  /** Starts a proxy on a free loopback port. */
  static start(): ServiceProxy {
    return new ServiceProxy();
  }

  /** `http://127.0.0.1:PORT`, for `Deno.createHttpClient({ proxy: { url } })`. */
  get url(): string {
    return `http://127.0.0.1:${(this.#listener.addr as Deno.NetAddr).port}`;
  }

  /** Sends CONNECTs for `authority` (`host:port`) to `target`. */
  register(authority: string, target: HostPort): void {
    this.#routes.set(authority.toLowerCase(), target);
  }

  /** Stops listening and closes every tunnel; calling it again does nothing. */
  async stop(): Promise<void> {
    if (this.#stopped) return await this.#loop;
    this.#stopped = true;
    this.#listener.close();
    for (const conn of this.#open) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
    await this.#loop;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) this.#tunnel(conn);
    } catch { /* listener closed */ }
  }

  async #tunnel(client: Deno.Conn): Promise<void> {
    this.#open.add(client);
    let upstream: Deno.Conn | undefined;
    try {
      const head = await readHead(client);
      const authority = /^CONNECT (\S+) HTTP\/1\.[01]\r\n/.exec(head)?.[1]?.toLowerCase();
      const target = authority ? this.#routes.get(authority) : undefined;
      if (!target) {
        await client.write(new TextEncoder().encode("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
        return;
      }
      upstream = await Deno.connect(target);
      this.#open.add(upstream);
      await client.write(new TextEncoder().encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
      await Promise.allSettled([
        client.readable.pipeTo(upstream.writable),
        upstream.readable.pipeTo(client.writable),
      ]);
    } catch {
      /* a side went away */
    } finally {
      for (const conn of [client, upstream]) {
        if (!conn) continue;
        this.#open.delete(conn);
        try {
          conn.close();
        } catch { /* closed by pipeTo */ }
      }
    }
  }
}

async function readHead(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(8192);
  let length = 0;
  while (length < buffer.length) {
    const read = await conn.read(buffer.subarray(length));
    if (read === null) break;
    length += read;
    const text = new TextDecoder().decode(buffer.subarray(0, length));
    if (text.includes("\r\n\r\n")) return text;
  }
  throw new Error("no CONNECT request head");
}
