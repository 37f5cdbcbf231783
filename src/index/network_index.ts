/**
 * The network index: which networks a source IP belongs to, and which addresses an alias has
 * inside a network. Updated incrementally, one pod at a time (docs/pods.md).
 *
 * @module
 */

import { type PodRecord, sameRecord } from "./pod_record.ts";
import {
  type AliasAddresses,
  type AliasEntry,
  newAliasEntry,
  refreshEntry,
  rotate,
  withoutPod,
} from "./alias_entry.ts";

export type { AliasAddresses };

/** Told of an alias that became answerable in some network. */
export type AnswerableListener = (alias: string) => void;

const NO_NETWORKS: readonly string[] = Object.freeze([]);

/**
 * In-memory index of kubedock pods. Each mutation costs time proportional to the pod's aliases,
 * networks and IPs; lookups are map reads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NetworkIndex } from "./network_index.ts";
 * const index = new NetworkIndex();
 * index.upsert({ uid: "1", name: "db1", ips: ["127.0.0.2"], aliases: ["db"], networks: ["test1"], answerable: true });
 * assert.deepEqual(index.networksOf("127.0.0.2"), ["test1"]);
 * assert.deepEqual(index.addresses(["test1"], "db")?.v4, ["127.0.0.2"]);
 * ```
 */
export class NetworkIndex {
  #pods = new Map<string, PodRecord>();
  /** ip → every pod holding it (ready or not; nearly always one) */
  #sources = new Map<string, PodRecord[]>();
  /** ip → union of networks of every pod holding it (cached view of #sources) */
  #sourceNetworks = new Map<string, readonly string[]>();
  /** network → alias → answerable pods (nested: no key strings built per lookup) */
  #targets = new Map<string, Map<string, AliasEntry>>();
  #listeners = new Set<AnswerableListener>();
  #networkPods = new Map<string, number>();
  #synced = false;
  #syncListeners = new Set<() => void>();

  /** Number of indexed pods. */
  get podCount(): number {
    return this.#pods.size;
  }

  /** Number of distinct networks with at least one indexed pod. */
  get networkCount(): number {
    return this.#networkPods.size;
  }

  /** True once a full pod list has been applied ({@linkcode replaceAll}). */
  get synced(): boolean {
    return this.#synced;
  }

  /** Every indexed pod record. */
  pods(): IterableIterator<PodRecord> {
    return this.#pods.values();
  }

  /** The record of one pod, by uid. */
  get(uid: string): PodRecord | undefined {
    return this.#pods.get(uid);
  }

  /** Networks of every indexed pod holding `ip` (ready or not); empty when none. */
  networksOf(ip: string): readonly string[] {
    return this.#sourceNetworks.get(ip) ?? NO_NETWORKS;
  }

  /**
   * The namespace of the pod holding `ip` (with `--all-namespaces`; `undefined` otherwise or when
   * no indexed pod holds it). Pods holding one IP at once are of one namespace: an IP belongs to
   * one pod network at a time.
   */
  namespaceOf(ip: string): string | undefined {
    return this.#sources.get(ip)?.[0].namespace;
  }

  /**
   * Indexed pods and their distinct networks per namespace (with `--all-namespaces`; one pass
   * over the pods, for a metrics scrape).
   */
  namespaceCounts(): Map<string, { pods: number; networks: number }> {
    const networks = new Map<string, Set<string>>();
    const counts = new Map<string, { pods: number; networks: number }>();
    for (const pod of this.#pods.values()) {
      if (pod.namespace === undefined) continue;
      let count = counts.get(pod.namespace);
      if (!count) counts.set(pod.namespace, count = { pods: 0, networks: 0 });
      count.pods++;
      let seen = networks.get(pod.namespace);
      if (!seen) networks.set(pod.namespace, seen = new Set());
      for (const network of pod.networks) seen.add(network);
    }
    for (const [namespace, count] of counts) count.networks = networks.get(namespace)!.size;
    return counts;
  }

  /**
   * Addresses of the answerable pods with `alias` in any of `networks`, rotated on every call;
   * `undefined` when the alias is not answerable there.
   */
  addresses(networks: readonly string[], alias: string): AliasAddresses | undefined {
    let found: AliasEntry | undefined;
    let merged: { v4: Set<string>; v6: Set<string> } | undefined;
    for (const network of networks) {
      const entry = this.#targets.get(network)?.get(alias);
      if (!entry) continue;
      entry.turn++;
      if (!found) {
        found = entry;
        continue;
      }
      merged ??= {
        v4: new Set(rotate(found.v4, found.turn)),
        v6: new Set(rotate(found.v6, found.turn)),
      };
      for (const ip of rotate(entry.v4, entry.turn)) merged.v4.add(ip);
      for (const ip of rotate(entry.v6, entry.turn)) merged.v6.add(ip);
    }
    if (merged) return { v4: [...merged.v4], v6: [...merged.v6] };
    if (!found) return undefined;
    if (found.v4.length < 2 && found.v6.length < 2) return found.both; // nothing to rotate
    return { v4: rotate(found.v4, found.turn), v6: rotate(found.v6, found.turn) };
  }

  /** Aliases of the answerable pods holding `ip` that share a network with `networks`. */
  aliasesOfIp(networks: readonly string[], ip: string): string[] {
    const holders = this.#sources.get(ip);
    if (!holders) return [];
    const aliases = new Set<string>();
    for (const pod of holders) {
      if (pod.answerable && pod.networks.some((n) => networks.includes(n))) {
        pod.aliases.forEach((a) => aliases.add(a));
      }
    }
    return [...aliases];
  }

  /**
   * Calls `listener` with each alias that becomes answerable in some network (once per change
   * that makes it so), until unsubscribed. Returns the unsubscribe function.
   */
  onAnswerable(listener: AnswerableListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls `listener` once, when the first full pod list has been applied. */
  onFirstSync(listener: () => void): () => void {
    this.#syncListeners.add(listener);
    return () => this.#syncListeners.delete(listener);
  }

  /** Adds or replaces one pod. */
  upsert(record: PodRecord): void {
    const woken = new Set<string>();
    this.#upsert(record, woken);
    this.#wake(woken);
  }

  /** Removes one pod by uid; entries of other pods with the same IP stay. */
  remove(uid: string): void {
    this.#remove(uid);
  }

  /**
   * Makes the index hold exactly `records` (a fresh list): pods not in it are removed, the others
   * upserted. Listeners run only after the whole replacement, and the index counts as synced.
   */
  replaceAll(records: Iterable<PodRecord>): void {
    const woken = new Set<string>();
    const keep = new Set<string>();
    for (const record of records) {
      keep.add(record.uid);
      this.#upsert(record, woken);
    }
    for (const uid of [...this.#pods.keys()]) if (!keep.has(uid)) this.#remove(uid);
    const firstSync = !this.#synced;
    this.#synced = true;
    this.#wake(woken);
    if (firstSync) [...this.#syncListeners].forEach((listener) => listener());
  }

  #upsert(record: PodRecord, woken: Set<string>): void {
    const old = this.#pods.get(record.uid);
    if (old && sameRecord(old, record)) return;
    if (old) this.#remove(old.uid);
    this.#pods.set(record.uid, record);
    for (const network of record.networks) {
      this.#networkPods.set(network, (this.#networkPods.get(network) ?? 0) + 1);
    }
    for (const ip of record.ips) {
      const holders = this.#sources.get(ip);
      if (holders) holders.push(record);
      else this.#sources.set(ip, [record]);
      this.#refreshSource(ip);
    }
    if (!record.answerable) return;
    for (const network of record.networks) {
      for (const alias of record.aliases) {
        let aliases = this.#targets.get(network);
        if (!aliases) this.#targets.set(network, aliases = new Map());
        let entry = aliases.get(alias);
        if (!entry) {
          aliases.set(alias, entry = newAliasEntry());
        }
        entry.pods.push(record);
        refreshEntry(entry);
        if (!old?.answerable || !old.networks.includes(network) || !old.aliases.includes(alias)) {
          woken.add(alias);
        }
      }
    }
  }

  #remove(uid: string): void {
    const record = this.#pods.get(uid);
    if (!record) return;
    this.#pods.delete(uid);
    for (const network of record.networks) {
      const count = (this.#networkPods.get(network) ?? 1) - 1;
      if (count > 0) this.#networkPods.set(network, count);
      else this.#networkPods.delete(network);
    }
    for (const ip of record.ips) {
      const holders = this.#sources.get(ip);
      if (!holders) continue;
      const rest = withoutPod(holders, uid);
      if (rest.length === 0) this.#sources.delete(ip);
      else this.#sources.set(ip, rest);
      this.#refreshSource(ip);
    }
    if (!record.answerable) return;
    for (const network of record.networks) {
      for (const alias of record.aliases) {
        const aliases = this.#targets.get(network);
        const entry = aliases?.get(alias);
        if (!entry) continue;
        const before = entry.pods.length;
        entry.pods = withoutPod(entry.pods, uid);
        if (entry.pods.length === before) continue;
        if (entry.pods.length > 0) refreshEntry(entry);
        else if (aliases!.delete(alias) && aliases!.size === 0) this.#targets.delete(network);
      }
    }
  }

  #refreshSource(ip: string): void {
    const holders = this.#sources.get(ip);
    if (!holders) {
      this.#sourceNetworks.delete(ip);
      return;
    }
    if (holders.length === 1) { // the usual case: the pod's own list, no copy
      this.#sourceNetworks.set(ip, holders[0].networks);
      return;
    }
    const networks = new Set<string>();
    for (const pod of holders) pod.networks.forEach((n) => networks.add(n));
    this.#sourceNetworks.set(ip, Object.freeze([...networks]));
  }

  #wake(aliases: Set<string>): void {
    if (aliases.size === 0) return;
    for (const listener of [...this.#listeners]) aliases.forEach((alias) => listener(alias));
  }
}
