/**
 * Certificate bootstrap and rotation with `--tls-secret`: the first replica creates a Secret
 * holding a CA bundle (`ca.crt`, newest first) and a serving certificate for the DNS Service
 * signed by its newest CA; every replica reads the Secret back (so replicas starting together
 * agree on one), and makes every webhook of the MutatingWebhookConfiguration trust the bundle's
 * valid CAs (`caBundle`). Called again every `--tls-reload-interval`: once a third of
 * `--cert-lifetime` is left, the replica that looks first replaces CA and certificate in the
 * Secret with an update naming the resourceVersion it read, so of two replicas racing one wins
 * (409 for the other, which reads the winner's); the bundle keeps the old CA until it expires. A
 * replica whose read of the Secret came before another's renewal leaves the newer `caBundle` as
 * it is ({@linkcode mayReplaceBundle}).
 *
 * RBAC: secrets `create`, and `get` and `update` on the one Secret; mutatingwebhookconfigurations
 * `get` and `patch` on the one configuration.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { type KubeApi, KubeApiError } from "../kube/api_client.ts";
import { decodeBase64, encodeBase64 } from "../common/base64.ts";
import type { TlsMaterial } from "./server.ts";
import { mayReplaceBundle, pemBundle, renewalDue, rotatedBundle, validCas } from "./rotation.ts";

/** The bootstrapped material: what to serve, and the CAs (PEM bundle) that clients must trust. */
export interface BootstrappedTls extends TlsMaterial {
  caCert: string;
}

/** The Secret as read: its material and the resourceVersion an update must name. */
interface StoredTls {
  tls: BootstrappedTls;
  resourceVersion: string;
}

/** What the bootstrap needs. */
export interface BootstrapOptions {
  api: KubeApi;
  secretName: string;
  webhookConfigName: string;
  serviceName: string;
  clusterDomain: string;
  /** Lifetime of the CA and serving certificate made here (`--cert-lifetime`). */
  lifetimeMs: number;
  log: Logger;
  /** The clock (tests). */
  now?: () => number;
}

interface SecretData {
  metadata?: { resourceVersion?: string };
  data?: Record<string, string>;
}

async function readSecret(api: KubeApi, name: string): Promise<StoredTls | undefined> {
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
      tls: {
        cert: decodeBase64(data["tls.crt"]),
        key: decodeBase64(data["tls.key"]),
        caCert: decodeBase64(data["ca.crt"]),
      },
      resourceVersion: secret.metadata?.resourceVersion ?? "",
    };
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** A new CA and serving certificate for the Service, valid `lifetimeMs`. */
async function makeCertificates(options: BootstrapOptions) {
  // loaded only when a certificate is made: @peculiar/x509 costs several MB of resident memory
  const { generateWebhookCertificates, serviceDnsNames } = await import("./certificates.ts");
  return await generateWebhookCertificates(
    serviceDnsNames(options.serviceName, options.api.namespace, options.clusterDomain),
    options.lifetimeMs / 86_400_000,
  );
}

function secretBody(name: string, tls: BootstrappedTls, resourceVersion?: string) {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name,
      labels: { "app.kubernetes.io/name": "kubedock-dns" },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    type: "kubernetes.io/tls",
    data: {
      "tls.crt": encodeBase64(tls.cert),
      "tls.key": encodeBase64(tls.key),
      "ca.crt": encodeBase64(tls.caCert),
    },
  };
}

/**
 * Writes new material into the Secret: created when there was none, else replaced naming the
 * resourceVersion read. Another replica that created or renewed it first wins (409) and its
 * material is used. Returns what the Secret holds afterwards.
 */
async function writeSecret(
  options: BootstrapOptions,
  tls: BootstrappedTls,
  previous?: StoredTls,
): Promise<StoredTls> {
  const { api, secretName, log } = options;
  const secrets = `/api/v1/namespaces/${api.namespace}/secrets`;
  const done = previous ? "renewed" : "created";
  try {
    await api.json(previous ? "PUT" : "POST", previous ? `${secrets}/${secretName}` : secrets, {
      body: secretBody(secretName, tls, previous?.resourceVersion),
    });
    log.info("{done} the webhook CA and certificate in Secret {secret}", {
      done,
      secret: secretName,
    });
  } catch (error) {
    if (!(error instanceof KubeApiError && error.status === 409)) throw error;
    log.info("Secret {secret} was {done} by another replica; using it", {
      secret: secretName,
      done,
    });
  }
  const stored = await readSecret(api, secretName);
  if (!stored) throw new Error(`Secret ${secretName} vanished right after it was ${done}`);
  return stored;
}

/** The Secret's first material: a new CA and the certificate it signed. */
async function createSecret(options: BootstrapOptions): Promise<StoredTls> {
  const certs = await makeCertificates(options);
  return await writeSecret(options, { ...certs.serving, caCert: pemBundle([certs.ca.cert]) });
}

/** A renewal: a new CA first in the bundle, the previous one kept while valid. */
async function renewSecret(options: BootstrapOptions, stored: StoredTls): Promise<StoredTls> {
  const now = options.now?.() ?? Date.now();
  const certs = await makeCertificates(options);
  const caCert = rotatedBundle(certs.ca.cert, stored.tls.caCert, now);
  return await writeSecret(options, { ...certs.serving, caCert }, stored);
}

/**
 * Creates the Secret if absent, renews it when due, reads it back and makes every webhook trust
 * its valid CAs. Returns what to serve.
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
 * const options = { api, secretName: "kubedock-dns-tls", webhookConfigName: "kubedock-dns", serviceName: "kubedock-dns", clusterDomain: "cluster.local", lifetimeMs: 365 * 86_400_000, log: getLogger(["x"]) };
 * const tls = await bootstrapTls(options);
 * assert.match(tls.cert, /BEGIN CERTIFICATE/);
 * assert.equal((await bootstrapTls(options)).cert, tls.cert); // not due: the same
 * const later = await bootstrapTls({ ...options, now: () => Date.now() + 300 * 86_400_000 });
 * assert.notEqual(later.cert, tls.cert); // a third left: renewed, the old CA still trusted
 * assert.equal(later.caCert.match(/BEGIN CERTIFICATE/g)?.length, 2);
 * await fake.stop();
 * ```
 */
export async function bootstrapTls(options: BootstrapOptions): Promise<BootstrappedTls> {
  const { api, secretName, lifetimeMs, log } = options;
  const now = options.now ?? Date.now;
  let stored = await readSecret(api, secretName) ?? await createSecret(options);
  if (renewalDue(stored.tls.cert, lifetimeMs, now())) stored = await renewSecret(options, stored);
  const trusted = pemBundle(validCas(stored.tls.caCert, now()));
  await patchCaBundle(api, options.webhookConfigName, trusted, log);
  return stored.tls;
}

/**
 * Makes every webhook of the configuration trust `trusted` (PEM), but leaves a webhook whose
 * bundle is newer than this replica's read of the Secret ({@linkcode mayReplaceBundle}).
 */
async function patchCaBundle(
  api: KubeApi,
  name: string,
  trusted: string,
  log: Logger,
): Promise<void> {
  const caBundle = encodeBase64(trusted);
  const path = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${name}`;
  const config = await api.json<{ webhooks?: { clientConfig?: { caBundle?: string } }[] }>(
    "GET",
    path,
  );
  const patch = (config.webhooks ?? []).flatMap((webhook, i) => {
    const current = webhook.clientConfig?.caBundle;
    if (current === caBundle) return [];
    if (current && !mayReplaceBundle(trusted, bundlePem(current))) {
      log.debug(
        "the caBundle of webhook {index} in {config} is newer than the Secret as read; left",
        {
          index: i,
          config: name,
        },
      );
      return [];
    }
    return [{ op: "add", path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle }];
  });
  if (patch.length === 0) return;
  await api.json("PATCH", path, { body: patch, contentType: "application/json-patch+json" });
  log.info("set the caBundle of {count} webhook(s) in {config}", {
    count: patch.length,
    config: name,
  });
}

/** A `caBundle` field as PEM; `""` when it is not base64 (replaced then, as any unreadable bundle). */
function bundlePem(field: string): string {
  try {
    return decodeBase64(field);
  } catch {
    return "";
  }
}
