/**
 * Finding a Service's ClusterIP, retried until it exists (the webhook's nameserver).
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { KubeApi } from "./api_client.ts";
import { retry } from "../common/backoff.ts";

/** What the ClusterIP lookup needs. */
export interface ClusterIpOptions {
  api: KubeApi;
  /** The Service's name, in the API's namespace. */
  name: string;
  /** Ends the retries (the lookup then resolves `undefined`). */
  signal: AbortSignal;
  log: Logger;
  retryMs?: number;
}

/**
 * Resolves to the ClusterIP of Service `name` in the API's namespace, retrying every `retryMs`
 * (logging each failure) until it is found or `signal` aborts (then resolves `undefined`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getLogger } from "@logtape/logtape";
 * import { FakeApiServer } from "../fake/api_server.ts";
 * import { KubeApi } from "./api_client.ts";
 * import { loadConnection } from "./connection.ts";
 * import { waitForClusterIp } from "./service_ip.ts";
 * const fake = FakeApiServer.start({ namespace: "ci" });
 * fake.store.create("services", "ci", { metadata: { name: "kubedock-dns" }, spec: { clusterIP: "10.43.0.53" } });
 * const api = new KubeApi(await loadConnection({ kubeconfig: await fake.writeKubeconfig() }));
 * const ip = await waitForClusterIp({ api, name: "kubedock-dns", signal: AbortSignal.timeout(10_000), log: getLogger(["x"]) });
 * assert.equal(ip, "10.43.0.53");
 * await fake.stop();
 * ```
 */
export async function waitForClusterIp(options: ClusterIpOptions): Promise<string | undefined> {
  const { api, name, signal, log } = options;
  return await retry({
    what: `reading the ClusterIP of Service ${name}`,
    signal,
    log,
    initialMs: options.retryMs ?? 2_000,
    maxMs: options.retryMs ?? 2_000,
    attempt: async () => {
      const service = await api.json<{ spec?: { clusterIP?: string } }>(
        "GET",
        `/api/v1/namespaces/${api.namespace}/services/${name}`,
        { signal },
      );
      const ip = service.spec?.clusterIP;
      if (!ip || ip === "None") throw new Error(`Service ${name} has no ClusterIP`);
      return ip;
    },
  });
}
