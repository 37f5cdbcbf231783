/**
 * Certificate bootstrap with `--tls-secret`: the first replica creates a Secret holding a CA and a
 * serving certificate for the DNS Service; every replica reads the Secret back (so replicas
 * starting together agree on one), then makes every webhook of the MutatingWebhookConfiguration
 * trust that CA (`caBundle`).
 *
 * RBAC: secrets `create`, and `get` on the one Secret; mutatingwebhookconfigurations `get` and
 * `patch` on the one configuration.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { type KubeApi, KubeApiError } from "../kube/api_client.ts";
import { decodeBase64, encodeBase64 } from "../common/base64.ts";
import type { TlsMaterial } from "./server.ts";

/** The bootstrapped material: what to serve, and the CA that clients must trust. */
export interface BootstrappedTls extends TlsMaterial {
  caCert: string;
}

/** What the bootstrap needs. */
export interface BootstrapOptions {
  api: KubeApi;
  secretName: string;
  webhookConfigName: string;
  serviceName: string;
  clusterDomain: string;
  log: Logger;
}

interface SecretData {
  data?: Record<string, string>;
}

async function readSecret(api: KubeApi, name: string): Promise<BootstrappedTls | undefined> {
  try {
    const secret = await api.json<SecretData>(
      "GET",
      `/api/v1/namespaces/${api.namespace}/secrets/${name}`,
    );
    const data = secret.data ?? {};
    if (!data["tls.crt"] || !data["tls.key"] || !data["ca.crt"]) {
      throw new Error(`Secret ${name} lacks tls.crt, tls.key or ca.crt`);
    }
    return {
      cert: decodeBase64(data["tls.crt"]),
      key: decodeBase64(data["tls.key"]),
      caCert: decodeBase64(data["ca.crt"]),
    };
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * Creates the Secret if absent, reads it back and patches the caBundle of every webhook.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getLogger } from "@logtape/logtape";
 * import { FakeApiServer } from "../fake/api_server.ts";
 * import { webhookConfiguration } from "../fake/webhook_configuration.ts";
 * import { KubeApi } from "../kube/api_client.ts";
 * import { loadConnection } from "../kube/connection.ts";
 * import { bootstrapTls } from "./bootstrap.ts";
 * const fake = FakeApiServer.start({ namespace: "ci" });
 * fake.store.create("mutatingwebhookconfigurations", undefined, webhookConfiguration("ci"));
 * const api = new KubeApi(await loadConnection({ kubeconfig: await fake.writeKubeconfig() }));
 * const tls = await bootstrapTls({ api, secretName: "kubedock-dns-tls", webhookConfigName: "kubedock-dns", serviceName: "kubedock-dns", clusterDomain: "cluster.local", log: getLogger(["x"]) });
 * assert.match(tls.cert, /BEGIN CERTIFICATE/);
 * assert.match(tls.caCert, /BEGIN CERTIFICATE/);
 * assert.ok(fake.store.get("secrets", "ci", "kubedock-dns-tls"));
 * await fake.stop();
 * ```
 */
export async function bootstrapTls(options: BootstrapOptions): Promise<BootstrappedTls> {
  const { api, secretName, log } = options;
  let tls = await readSecret(api, secretName);
  if (!tls) {
    // loaded only when a certificate is made: @peculiar/x509 costs several MB of resident memory
    const { generateWebhookCertificates, serviceDnsNames } = await import("./certificates.ts");
    const certs = await generateWebhookCertificates(
      serviceDnsNames(options.serviceName, api.namespace, options.clusterDomain),
    );
    try {
      await api.json("POST", `/api/v1/namespaces/${api.namespace}/secrets`, {
        body: {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: secretName, labels: { "app.kubernetes.io/name": "kubedock-dns" } },
          type: "kubernetes.io/tls",
          data: {
            "tls.crt": encodeBase64(certs.serving.cert),
            "tls.key": encodeBase64(certs.serving.key),
            "ca.crt": encodeBase64(certs.ca.cert),
          },
        },
      });
      log.info("created TLS Secret {secret}", { secret: secretName });
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 409)) throw error;
      log.info("TLS Secret {secret} was created by another replica; using it", {
        secret: secretName,
      });
    }
    tls = await readSecret(api, secretName);
    if (!tls) throw new Error(`Secret ${secretName} vanished right after it was created`);
  }
  await patchCaBundle(api, options.webhookConfigName, encodeBase64(tls.caCert), log);
  return tls;
}

async function patchCaBundle(
  api: KubeApi,
  name: string,
  caBundle: string,
  log: Logger,
): Promise<void> {
  const path = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${name}`;
  const config = await api.json<{ webhooks?: { clientConfig?: { caBundle?: string } }[] }>(
    "GET",
    path,
  );
  const patch = (config.webhooks ?? []).flatMap((webhook, i) =>
    webhook.clientConfig?.caBundle === caBundle
      ? []
      : [{ op: "add", path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle }]
  );
  if (patch.length === 0) return;
  await api.json("PATCH", path, { body: patch, contentType: "application/json-patch+json" });
  log.info("set the caBundle of {count} webhook(s) in {config}", {
    count: patch.length,
    config: name,
  });
}
