/**
 * The Kubernetes side: connection, API client, the pod watcher and the pod contract.
 * What this folder offers the rest of the program; the modules beside it hold the details.
 *
 * @module
 */

export { KubeApi, KubeApiError } from "./api_client.ts";
export { loadConnection, permittedEnv } from "./connection.ts";
export { podToRecord } from "./pod_to_record.ts";
export { PodWatcher } from "./pod_watcher.ts";
export { InvalidAliasLog } from "./invalid_aliases.ts";
