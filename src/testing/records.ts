/**
 * Index records for tests and benchmarks that seed the network index directly.
 *
 * @module
 */
import type { PodRecord } from "../index/pod_record.ts";

/**
 * A pod record with uid `uid-<name>`; answerable unless said otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { podRecord } from "./records.ts";
 * assert.deepEqual(podRecord("db1", ["127.0.0.2"], ["db"], ["n1"]), {
 *   uid: "uid-db1", name: "db1", ips: ["127.0.0.2"], aliases: ["db"], networks: ["n1"], answerable: true,
 * });
 * ```
 */
export function podRecord(
  name: string,
  ips: string[],
  aliases: string[],
  networks: string[],
  answerable = true,
): PodRecord {
  return { uid: `uid-${name}`, name, ips, aliases, networks, answerable };
}
