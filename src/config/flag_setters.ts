/**
 * How each command-line flag's value is read and checked: one setter per flag, each failing with
 * one line that names the flag.
 *
 * @module
 */

import type { Config, LogLevel } from "./config_type.ts";
import { ConfigError } from "./config_error.ts";
import { parseDuration } from "./duration.ts";
import { parseHostPort } from "./host_port.ts";

/** Sets one flag's value on the configuration. */
export type Setter = (config: Config, value: string, flag: string) => void;

const DNS_NAME =
  /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function fail(flag: string, value: string, want: string): never {
  throw new ConfigError(`invalid value ${JSON.stringify(value)} for --${flag}: want ${want}`);
}

function address(key: "dnsListen" | "webhookListen" | "healthListen"): Setter {
  return (config, value, flag) => {
    config[key] = parseHostPort(value) ?? fail(flag, value, "HOST:PORT");
  };
}

function duration(
  key:
    | "upstreamTimeoutMs"
    | "waitTimeoutMs"
    | "tlsReloadIntervalMs"
    | "certLifetimeMs"
    | "shutdownTimeoutMs"
    | "lameduckMs"
    | "tcpIdleTimeoutMs"
    | "cacheMaxTtlMs"
    | "cacheNegativeTtlMs"
    | "cacheStaleMs",
  zero: "0 allowed" | "more than 0" = "more than 0",
): Setter {
  return (config, value, flag) => {
    const ms = parseDuration(value);
    config[key] = ms !== undefined && (ms > 0 || (ms === 0 && zero === "0 allowed"))
      ? ms
      : fail(flag, value, `a duration like 500ms, 2s, 1m${zero === "0 allowed" ? " (or 0)" : ""}`);
  };
}

function integer(
  key:
    | "maxPending"
    | "maxPendingPerSource"
    | "tcpMax"
    | "tcpMaxPerSource"
    | "cacheSize"
    | "ttl"
    | "clientNdots"
    | "clientTimeout"
    | "clientAttempts",
  min: number,
  max: number,
): Setter {
  return (config, value, flag) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    config[key] = n >= min && n <= max
      ? n
      : fail(flag, value, `a whole number from ${min} to ${max}`);
  };
}

function text(
  key:
    | "kubeconfig"
    | "label"
    | "hostaliasPrefix"
    | "networkPrefix"
    | "tlsCert"
    | "tlsKey"
    | "tlsSecret"
    | "webhookConfig"
    | "dnsService",
): Setter {
  return (config, value, flag) => {
    config[key] = value.length > 0 ? value : fail(flag, value, "a non-empty value");
  };
}

function domain(value: string, flag: string): string {
  const lower = value.toLowerCase().replace(/^\.|\.$/g, "");
  return DNS_NAME.test(lower) ? lower : fail(flag, value, "a DNS domain");
}

export const VALUE_FLAGS: Record<string, Setter> = {
  "kubeconfig": text("kubeconfig"),
  "namespace": (c, v, f) => {
    c.namespace = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v)
      ? v
      : fail(f, v, "a namespace name");
  },
  "label": text("label"),
  "hostalias-prefix": text("hostaliasPrefix"),
  "network-prefix": text("networkPrefix"),
  "dns-listen": address("dnsListen"),
  "upstream": (c, v, f) => c.upstreams.push(parseHostPort(v, 53) ?? fail(f, v, "HOST[:PORT]")),
  "upstream-timeout": duration("upstreamTimeoutMs"),
  "wait-timeout": duration("waitTimeoutMs"),
  "max-pending": integer("maxPending", 0, 1_000_000),
  "max-pending-per-source": integer("maxPendingPerSource", 0, 1_000_000),
  "tcp-max": integer("tcpMax", 1, 100_000),
  "tcp-max-per-source": integer("tcpMaxPerSource", 1, 100_000),
  "tcp-idle-timeout": duration("tcpIdleTimeoutMs"),
  "ttl": integer("ttl", 0, 2_147_483_647),
  "cache-size": integer("cacheSize", 0, 1_000_000),
  "cache-max-ttl": duration("cacheMaxTtlMs", "0 allowed"),
  "cache-negative-ttl": duration("cacheNegativeTtlMs", "0 allowed"),
  "cache-stale": duration("cacheStaleMs", "0 allowed"),
  "cluster-domain": (c, v, f) => (c.clusterDomain = domain(v, f)),
  "internal-domain": (c, v, f) => c.internalDomains.push(domain(v, f)),
  "webhook-listen": address("webhookListen"),
  "tls-cert": text("tlsCert"),
  "tls-key": text("tlsKey"),
  "tls-secret": text("tlsSecret"),
  "webhook-config": text("webhookConfig"),
  "tls-reload-interval": duration("tlsReloadIntervalMs"),
  "cert-lifetime": duration("certLifetimeMs"),
  "lameduck": duration("lameduckMs", "0 allowed"),
  "shutdown-timeout": duration("shutdownTimeoutMs"),
  "dns-service": text("dnsService"),
  "client-ndots": integer("clientNdots", 0, 15),
  "client-timeout": integer("clientTimeout", 1, 30),
  "client-attempts": integer("clientAttempts", 1, 5),
  "health-listen": address("healthListen"),
  "log-level": (c, v, f) => {
    c.logLevel = ["debug", "info", "warning", "error"].includes(v)
      ? v as LogLevel
      : fail(f, v, "debug, info, warning or error");
  },
  "log-format": (c, v, f) => {
    c.logFormat = v === "json" || v === "text" ? v : fail(f, v, "json or text");
  },
};

export const SWITCH_FLAGS: Record<string, (config: Config) => void> = {
  "no-webhook": (c) => (c.webhook = false),
  "all-namespaces": (c) => (c.allNamespaces = true),
  "debug-endpoints": (c) => (c.debugEndpoints = true),
  "no-metrics": (c) => (c.metrics = false),
};
