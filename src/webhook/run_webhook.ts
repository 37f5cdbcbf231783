/**
 * The webhook part of the program: certificates (files, reloaded; or bootstrapped into a
 * Secret, re-read and renewed), the DNS Service's ClusterIP (retried until found), and the HTTPS
 * server. Ready once all three are in place.
 *
 * @module
 */

import type { Config } from "../config/config.ts";
import type { KubeApi } from "../kube/api_client.ts";
import { retry } from "../common/backoff.ts";
import { waitForClusterIp } from "../kube/service_ip.ts";
import { logger } from "../observability/log.ts";
import { bootstrapTls } from "./bootstrap.ts";
import type { ReviewResult, ReviewSettings } from "./review.ts";
import { webhookHandler } from "./handler.ts";
import { type TlsMaterial, WebhookServer } from "./server.ts";
import { pollTlsFiles } from "./tls_files.ts";
import { certificateValidity } from "./cert_validity.ts";
import { nextCheckMs } from "./rotation.ts";

/** A running webhook. */
export interface RunningWebhook {
  /** TLS loaded, server listening, DNS Service IP known. */
  ready(): boolean;
  /** When the certificate being served expires (ms since the epoch), once one is loaded. */
  certificateNotAfter(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the webhook in the background: it becomes ready when it can decide.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "../config/config.ts";
 * import { FakeApiServer } from "../fake/api_server.ts";
 * import { webhookConfiguration } from "../fake/webhook_configuration.ts";
 * import { KubeApi } from "../kube/api_client.ts";
 * import { loadConnection } from "../kube/connection.ts";
 * import { startWebhook } from "./run_webhook.ts";
 * const fake = FakeApiServer.start({ namespace: "ci" });
 * fake.store.create("mutatingwebhookconfigurations", undefined, webhookConfiguration("ci"));
 * const config = parseConfig(["--tls-secret", "kubedock-dns-tls", "--webhook-config", "kubedock-dns", "--webhook-listen", "127.0.0.1:0", "--kubeconfig", await fake.writeKubeconfig()]);
 * const webhook = startWebhook(config, new KubeApi(await loadConnection(config)));
 * assert.equal(webhook.ready(), false); // not before TLS is loaded and the Service IP known
 * await webhook.stop();
 * await fake.stop();
 * ```
 */
export function startWebhook(
  config: Config,
  api: KubeApi,
  options: {
    /** The certificate read from `--tls-cert`/`--tls-key` at start (checked there). */
    files?: TlsMaterial;
    onReview?: (result: ReviewResult, elapsedMs: number) => void;
  } = {},
): RunningWebhook {
  const { files, onReview } = options;
  const log = logger("webhook");
  const stop = new AbortController();
  let dnsServiceIp: string | undefined;
  let server: WebhookServer | undefined;
  let stopPolling = () => {};
  let served: TlsMaterial | undefined;
  let notAfter: number | undefined;
  const serve = (tls: TlsMaterial) => {
    if (server) server.reload(tls);
    else server = WebhookServer.start(config.webhookListen, handler, tls);
    served = tls;
    try {
      notAfter = certificateValidity(tls.cert).notAfter;
    } catch {
      notAfter = undefined; // not a certificate we can read: no expiry metric
    }
  };
  const settings = (): ReviewSettings | undefined =>
    dnsServiceIp === undefined ? undefined : {
      label: config.label,
      hostaliasPrefix: config.hostaliasPrefix,
      networkPrefix: config.networkPrefix,
      clusterDomain: config.clusterDomain,
      namespace: api.namespace,
      dnsServiceIp,
      ndots: config.clientNdots,
      timeout: config.clientTimeout,
      attempts: config.clientAttempts,
    };
  const handler = webhookHandler(settings, log, onReview);

  const loadTls = async (): Promise<TlsMaterial> => {
    if (files) return files;
    return await bootstrapTls({
      api,
      secretName: config.tlsSecret!,
      webhookConfigName: config.webhookConfig!,
      serviceName: config.dnsService,
      clusterDomain: config.clusterDomain,
      lifetimeMs: config.certLifetimeMs,
      log,
    });
  };

  /** Re-reads the Secret (renewing it when due) until stopped; serves what changed. */
  const watchSecret = () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const look = async () => {
      try {
        const next = await loadTls();
        if (stop.signal.aborted) return;
        if (next.cert !== served?.cert || next.key !== served?.key) {
          serve(next);
          log.info("serving the renewed webhook certificate (valid until {notAfter})", {
            notAfter: new Date(notAfter ?? 0).toISOString(),
          });
        }
      } catch (error) {
        log.warn("webhook certificate not renewed or re-read: {error}", {
          error: (error as Error).message,
        });
      }
      if (stop.signal.aborted) return;
      const { certLifetimeMs, tlsReloadIntervalMs } = config;
      const wait = notAfter === undefined
        ? tlsReloadIntervalMs
        : nextCheckMs(notAfter, certLifetimeMs, tlsReloadIntervalMs, Date.now());
      timer = setTimeout(look, wait);
    };
    timer = setTimeout(look, config.tlsReloadIntervalMs);
    return () => clearTimeout(timer);
  };

  const starting = (async () => {
    const clusterIp = waitForClusterIp({ api, name: config.dnsService, signal: stop.signal, log });
    const tls = await retry({
      what: "loading the webhook certificate",
      signal: stop.signal,
      attempt: loadTls,
      log: logger("webhook"),
      initialMs: 500,
      maxMs: 30_000,
    });
    if (!tls || stop.signal.aborted) return;
    // listening before the Service IP is known: reviews get HTTP 503 until then
    serve(tls);
    log.info("webhook listening on {port}", { port: server!.address.port });
    clusterIp.then((ip) => {
      dnsServiceIp = ip;
      if (ip) {
        log.info("pods get nameserver {ip} (Service {service})", {
          ip,
          service: config.dnsService,
        });
      }
    });
    if (files && config.tlsCert && config.tlsKey) {
      stopPolling = pollTlsFiles({
        certPath: config.tlsCert,
        keyPath: config.tlsKey,
        intervalMs: config.tlsReloadIntervalMs,
        onChange: (next) => {
          serve(next);
          log.info("webhook certificate reloaded from {file}", { file: config.tlsCert });
        },
        onError: (error) =>
          log.warn("webhook certificate not reloaded: {error}", { error: error.message }),
        initial: tls,
      });
    } else if (config.tlsSecret) {
      stopPolling = watchSecret();
    }
  })().catch((error) =>
    log.error("webhook failed to start: {error}", { error: (error as Error).message })
  );

  return {
    ready: () => server !== undefined && dnsServiceIp !== undefined,
    certificateNotAfter: () => notAfter,
    async stop() {
      stop.abort();
      stopPolling();
      await starting;
      await server?.stop();
    },
  };
}
