/**
 * The shape of the program's configuration and its defaults: what every flag sets, with nothing
 * of how flags are read (flag_setters.ts) or parsed (config.ts), so both can name it.
 *
 * @module
 */

import type { HostPort } from "./host_port.ts";

/** Log verbosity accepted by `--log-level`. */
export type LogLevel = "debug" | "info" | "warning" | "error";

/** The whole configuration, with defaults applied. */
export interface Config {
  kubeconfig?: string;
  namespace?: string;
  /** One list + watch over every namespace; networks, holds and answers per namespace. */
  allNamespaces: boolean;
  label: string;
  hostaliasPrefix: string;
  networkPrefix: string;
  dnsListen: HostPort;
  /** In failover order; empty means: every nameserver of /etc/resolv.conf, port 53. */
  upstreams: HostPort[];
  upstreamTimeoutMs: number;
  waitTimeoutMs: number;
  maxPending: number;
  /** Held queries from one source IP at once. */
  maxPendingPerSource: number;
  /** Open DNS-over-TCP connections in all. */
  tcpMax: number;
  /** Open DNS-over-TCP connections from one source IP. */
  tcpMaxPerSource: number;
  /** An open DNS-over-TCP connection with no query for this long is closed. */
  tcpIdleTimeoutMs: number;
  ttl: number;
  /** Forwarded replies kept at most; 0 turns the cache off. */
  cacheSize: number;
  /** Positive replies are kept at most this long (their own smallest TTL when lower). */
  cacheMaxTtlMs: number;
  /** Negative replies (NXDOMAIN, NODATA) are kept at most this long. */
  cacheNegativeTtlMs: number;
  /** An expired reply may be answered this long past its expiry when every upstream fails. */
  cacheStaleMs: number;
  clusterDomain: string;
  internalDomains: string[];
  webhook: boolean;
  webhookListen: HostPort;
  tlsCert?: string;
  tlsKey?: string;
  tlsSecret?: string;
  webhookConfig?: string;
  /** How often `--tls-cert`/`--tls-key` (or the `--tls-secret` Secret) are re-read for changes. */
  tlsReloadIntervalMs: number;
  /** Lifetime of a bootstrapped CA and serving certificate; renewed with a third of it left. */
  certLifetimeMs: number;
  dnsService: string;
  clientNdots: number;
  clientTimeout: number;
  clientAttempts: number;
  healthListen: HostPort;
  logLevel: LogLevel;
  logFormat: "json" | "text";
  /** After the first SIGTERM: not ready, still serving everything, for this long (0: none). */
  lameduckMs: number;
  /** After the lameduck, everything is finished or cut off within this. */
  shutdownTimeoutMs: number;
  /** Serve `GET /debug/networks` on the health port. */
  debugEndpoints: boolean;
  /** Count queries and serve `/metrics`. */
  metrics: boolean;
}

/**
 * The configuration used when no flag is given (upstream left to resolv.conf).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_CONFIG } from "./config_type.ts";
 * assert.equal(DEFAULT_CONFIG.waitTimeoutMs, 20_000);
 * assert.ok(Object.isFrozen(DEFAULT_CONFIG));
 * ```
 */
export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze({
  allNamespaces: false,
  label: "kubedock",
  upstreams: [],
  hostaliasPrefix: "kubedock.hostalias/",
  networkPrefix: "kubedock.network/",
  dnsListen: { hostname: "0.0.0.0", port: 1053 },
  upstreamTimeoutMs: 2_000,
  waitTimeoutMs: 20_000,
  maxPending: 10_000,
  maxPendingPerSource: 256,
  tcpMax: 1_000,
  tcpMaxPerSource: 16,
  tcpIdleTimeoutMs: 10_000,
  ttl: 10,
  cacheSize: 10_000,
  cacheMaxTtlMs: 300_000,
  cacheNegativeTtlMs: 5_000,
  cacheStaleMs: 3_600_000,
  clusterDomain: "cluster.local",
  internalDomains: [],
  webhook: true,
  webhookListen: { hostname: "0.0.0.0", port: 8443 },
  tlsReloadIntervalMs: 10_000,
  certLifetimeMs: 8_760 * 3_600_000,
  dnsService: "kubedock-dns",
  clientNdots: 5,
  clientTimeout: 30,
  clientAttempts: 2,
  healthListen: { hostname: "0.0.0.0", port: 8080 },
  logLevel: "info",
  logFormat: "json",
  lameduckMs: 5_000,
  shutdownTimeoutMs: 10_000,
  debugEndpoints: false,
  metrics: true,
});
