/**
 * What the network index knows of one pod.
 *
 * @module
 */

/** One pod as the index sees it. Aliases are lowercase; IPs are in canonical text form. */
export interface PodRecord {
  /** Unique id of the pod object (metadata.uid). */
  uid: string;
  /** Pod name, for logs and PTR debugging. */
  name: string;
  /**
   * The pod's namespace, with `--all-namespaces` only (its networks are then keyed
   * `<namespace>/<network id>`, so equal ids in two namespaces are two networks).
   */
  namespace?: string;
  /** IPv4 and IPv6 addresses (status.podIP and status.podIPs). */
  ips: readonly string[];
  /** Hostname aliases, lowercase, in annotation order. */
  aliases: readonly string[];
  /** Docker network ids. */
  networks: readonly string[];
  /** Ready condition True and no deletionTimestamp. */
  answerable: boolean;
}

/**
 * Whether two records hold the same facts (order included), so an update can be skipped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sameRecord } from "./pod_record.ts";
 * const a = { uid: "u", name: "db", ips: ["127.0.0.2"], aliases: ["db"], networks: ["n"], answerable: true };
 * assert.deepEqual(sameRecord(a, { ...a }), true);
 * assert.deepEqual(sameRecord(a, { ...a, answerable: false }), false);
 * ```
 */
export function sameRecord(a: PodRecord, b: PodRecord): boolean {
  return a.uid === b.uid && a.name === b.name && a.answerable === b.answerable &&
    a.namespace === b.namespace &&
    sameList(a.ips, b.ips) && sameList(a.aliases, b.aliases) && sameList(a.networks, b.networks);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
