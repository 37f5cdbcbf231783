/**
 * `GET /debug/networks`: the network index as JSON, for people finding out why a name did not
 * resolve. Off unless `--debug-endpoints`.
 *
 * @module
 */

import type { NetworkIndex } from "../index/network_index.ts";

/** One pod as listed under a network. */
export interface DebugPod {
  pod: string;
  uid: string;
  aliases: readonly string[];
  ips: readonly string[];
  /** Answerable: Ready and not being deleted. */
  ready: boolean;
}

/**
 * Networks (sorted) with their pods (sorted by name).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkIndex } from "../index/network_index.ts";
 * import { networksSnapshot } from "./debug_networks.ts";
 * const index = new NetworkIndex();
 * index.upsert({ uid: "1", name: "db1", ips: ["127.0.0.2"], aliases: ["db"], networks: ["test1"], answerable: true });
 * const snapshot = networksSnapshot(index);
 * assert.equal(snapshot.pods, 1);
 * assert.equal(snapshot.networks.test1[0].pod, "db1");
 * ```
 */
export function networksSnapshot(index: NetworkIndex): {
  synced: boolean;
  pods: number;
  networks: Record<string, DebugPod[]>;
} {
  const networks = new Map<string, DebugPod[]>();
  for (const record of index.pods()) {
    for (const network of record.networks) {
      let list = networks.get(network);
      if (!list) networks.set(network, list = []);
      list.push({
        pod: record.name,
        uid: record.uid,
        aliases: record.aliases,
        ips: record.ips,
        ready: record.answerable,
      });
    }
  }
  const sorted: Record<string, DebugPod[]> = {};
  for (const name of [...networks.keys()].sort()) {
    sorted[name] = networks.get(name)!.sort((a, b) => a.pod.localeCompare(b.pod));
  }
  return { synced: index.synced, pods: index.podCount, networks: sorted };
}
