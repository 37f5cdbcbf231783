/**
 * A heap snapshot of another Deno process over its inspector (`deno run --inspect=HOST:PORT`),
 * summed by what the objects are: V8's own garbage collection first, then every node's self size
 * by constructor (or kind), largest first.
 *
 * @module
 */

/** One row of a summary: what, how many, their self size in bytes. */
export interface HeapRow {
  name: string;
  count: number;
  bytes: number;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Takes a snapshot (after a full GC) of the process whose inspector listens at `address`. */
export async function takeHeapSnapshot(address: { hostname: string; port: number }): Promise<
  Snapshot
> {
  const targets = await (await fetch(`http://${address.hostname}:${address.port}/json/list`))
    .json();
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  const chunks: string[] = [];
  let nextId = 1;
  const waiting = new Map<number, () => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.method === "HeapProfiler.addHeapSnapshotChunk") chunks.push(message.params.chunk);
    if (message.id) waiting.get(message.id)?.();
  };
  const call = (method: string, params = {}) =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await call("HeapProfiler.enable");
  await call("HeapProfiler.collectGarbage");
  await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
  socket.close();
  return JSON.parse(chunks.join(""));
}

/** The snapshot's nodes summed by constructor name (objects) or kind (strings, code, arrays). */
export function summarizeHeap(snapshot: Snapshot): HeapRow[] {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const rows = new Map<string, HeapRow>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]];
    const named = type === "object" || type === "native" || type === "closure";
    const name = named ? `${type} ${snapshot.strings[snapshot.nodes[i + nameAt]]}` : `(${type})`;
    const row = rows.get(name) ?? { name, count: 0, bytes: 0 };
    row.count++;
    row.bytes += snapshot.nodes[i + sizeAt];
    rows.set(name, row);
  }
  return [...rows.values()].sort((a, b) => b.bytes - a.bytes);
}
