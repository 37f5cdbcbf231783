/** Index records for tests and benchmarks that seed the network index directly. */
import type { PodRecord } from "../../src/index/pod_record.ts";

/** A pod record with uid `uid-<name>`; answerable unless said otherwise. */
export function podRecord(
  name: string,
  ips: string[],
  aliases: string[],
  networks: string[],
  answerable = true,
): PodRecord {
  return { uid: `uid-${name}`, name, ips, aliases, networks, answerable };
}
