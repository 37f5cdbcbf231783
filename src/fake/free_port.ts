/**
 * Free loopback ports for servers started by tests, benchmarks and the demo.
 *
 * @module
 */

/**
 * A port free for both UDP and TCP on 127.0.0.1 (checked, then released).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { freePort } from "./free_port.ts";
 * const port = freePort();
 * Deno.listen({ hostname: "127.0.0.1", port }).close(); // free indeed
 * assert.ok(port > 0);
 * ```
 */
export function freePort(): number {
  for (;;) {
    const udp = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
    const port = (udp.addr as Deno.NetAddr).port;
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch {
      continue;
    } finally {
      udp.close();
    }
  }
}
