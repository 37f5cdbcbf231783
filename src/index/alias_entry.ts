/**
 * One alias in one network: the answerable pods holding it and their addresses, split by family
 * and kept ready to answer, with the rotation that gives docker's round-robin order. The network
 * index keeps one entry per (network, alias).
 *
 * @module
 */

import type { PodRecord } from "./pod_record.ts";

/** Addresses of an alias, split by family, in the order to answer them. */
export interface AliasAddresses {
  v4: readonly string[];
  v6: readonly string[];
}

/**
 * Answerable pods holding one alias in one network. Holders are plain arrays rather than maps:
 * nearly always one pod, and 10,000 pods then cost no map each (docs/benchmarks.md, memory).
 */
export interface AliasEntry {
  pods: PodRecord[];
  v4: readonly string[];
  v6: readonly string[];
  /** `v4` and `v6` as one answer, rebuilt when the entry changes. */
  both: AliasAddresses;
  /** Rotation counter for round-robin order. */
  turn: number;
}

const NONE: readonly string[] = Object.freeze([]);
const EMPTY: AliasAddresses = Object.freeze({ v4: NONE, v6: NONE });

/**
 * A new entry with no pods yet ({@linkcode refreshEntry} after adding one).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newAliasEntry } from "./alias_entry.ts";
 * assert.deepEqual(newAliasEntry().both, { v4: [], v6: [] });
 * ```
 */
export function newAliasEntry(): AliasEntry {
  return { pods: [], v4: NONE, v6: NONE, both: EMPTY, turn: 0 };
}

/**
 * `list` without the pod `uid` (a new array; holders are few).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutPod } from "./alias_entry.ts";
 * const pod = { uid: "1", name: "db", ips: [], aliases: [], networks: [], answerable: true };
 * assert.deepEqual(withoutPod([pod], "1"), []);
 * ```
 */
export function withoutPod(list: PodRecord[], uid: string): PodRecord[] {
  return list.filter((pod) => pod.uid !== uid);
}

/**
 * `list` started at position `turn` (modulo its length): the round-robin order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rotate } from "./alias_entry.ts";
 * assert.deepEqual(rotate(["a", "b", "c"], 4), ["b", "c", "a"]);
 * ```
 */
export function rotate(list: readonly string[], turn: number): readonly string[] {
  if (list.length < 2) return list;
  const start = turn % list.length;
  return start === 0 ? list : [...list.slice(start), ...list.slice(0, start)];
}

/**
 * Rebuilds an entry's addresses from its pods (after a pod was added or removed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newAliasEntry, refreshEntry } from "./alias_entry.ts";
 * const entry = newAliasEntry();
 * entry.pods.push({ uid: "1", name: "db", ips: ["127.0.0.2", "fd00::2"], aliases: ["db"], networks: ["n"], answerable: true });
 * refreshEntry(entry);
 * assert.deepEqual(entry.both, { v4: ["127.0.0.2"], v6: ["fd00::2"] });
 * ```
 */
export function refreshEntry(entry: AliasEntry): void {
  const [only] = entry.pods;
  if (entry.pods.length === 1 && only.ips.every((ip) => !ip.includes(":"))) {
    // the usual case: one IPv4-only pod; its own list is the answer (no copies per pod)
    entry.v4 = only.ips;
    entry.v6 = NONE;
  } else {
    const v4 = new Set<string>();
    const v6 = new Set<string>();
    for (const pod of entry.pods) {
      for (const ip of pod.ips) (ip.includes(":") ? v6 : v4).add(ip);
    }
    entry.v4 = [...v4];
    entry.v6 = [...v6];
  }
  entry.both = { v4: entry.v4, v6: entry.v6 };
}
