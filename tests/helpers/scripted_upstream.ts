/** A UDP upstream that answers each query with what a script returns (possibly later). */
import { decode, packet } from "../../src/testing/packet.ts";

/** Replies to one query; `count` is how many queries arrived so far, this one included. */
export type Script = (query: Uint8Array, count: number) => Uint8Array[] | Promise<Uint8Array[]>;

/** Starts the upstream on a free 127.0.0.1 port. */
export function scriptedUpstream(script: Script) {
  const conn = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const seen: Uint8Array[] = [];
  const replying = new Set<Promise<void>>();
  const loop = (async () => {
    try {
      for (;;) {
        const [data, from] = await conn.receive();
        seen.push(data.slice());
        const reply = (async () => {
          for (const bytes of await script(data.slice(), seen.length)) await conn.send(bytes, from);
        })().catch(() => {});
        replying.add(reply);
        reply.finally(() => replying.delete(reply));
      }
    } catch { /* closed */ }
  })();
  return {
    address: { hostname: "127.0.0.1", port: (conn.addr as Deno.NetAddr).port },
    seen,
    async close() {
      await Promise.allSettled([...replying]);
      conn.close();
      await loop;
    },
  };
}

/** A script that answers every query NXDOMAIN: a cluster DNS that knows none of the test's names. */
export const nxdomainForAll: Script = (query) => {
  const q = decode(query);
  return [
    new Uint8Array(packet.encode({
      type: "response",
      id: q.id,
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | 3,
      questions: q.questions as packet.Question[],
    })),
  ];
};
