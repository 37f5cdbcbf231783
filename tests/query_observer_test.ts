import assert from "node:assert/strict";
import { configureSync, type LogRecord, resetSync } from "@logtape/logtape";
import { NetworkIndex } from "../src/index/network_index.ts";
import { parseQuery } from "../src/dns/wire/query.ts";
import { queryObserver } from "../src/observability/query_observer.ts";
import { encodeQuery } from "../src/testing/packet.ts";
import { podRecord } from "../src/testing/records.ts";

Deno.test("per-query observation: one debug line at debug level, nothing otherwise", () => {
  const records: LogRecord[] = [];
  configureSync({
    sinks: { memory: (record) => records.push(record) },
    loggers: [{ category: ["kubedock-dns"], lowestLevel: "debug", sinks: ["memory"] }],
    reset: true,
  });
  try {
    const index = new NetworkIndex();
    index.upsert(podRecord("app1", ["127.0.0.3"], ["app"], ["n1"]));
    assert.equal(
      queryObserver(false, index),
      undefined,
      "info level, no metrics: no per-query work",
    );
    const observe = queryObserver(true, index)!;
    const parsed = parseQuery(encodeQuery("db", "AAAA"));
    assert.equal(parsed.kind, "query");
    if (parsed.kind !== "query") return;
    const reply = new Uint8Array(12);
    reply[3] = 3; // NXDOMAIN
    observe(
      {
        query: parsed.query,
        source: "127.0.0.3",
        transport: "udp",
        receivedAt: performance.now(),
        path: "held",
      },
      reply,
      0.0125,
    );
    assert.equal(records.length, 1);
    const { level, properties } = records[0];
    assert.equal(level, "debug");
    assert.deepEqual(
      properties,
      {
        source: "127.0.0.3",
        networks: ["n1"],
        name: "db",
        qtype: "AAAA",
        path: "held",
        rcode: "NXDOMAIN",
        micros: 12500, // the seconds the dispatch measured, in µs
      },
    );
  } finally {
    resetSync();
  }
});
