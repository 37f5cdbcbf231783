/**
 * The network index of kubedock pods.
 * What this folder offers the rest of the program; the modules beside it hold the details.
 *
 * @module
 */

export { NetworkIndex } from "./network_index.ts";
export { type PodRecord } from "./pod_record.ts";
