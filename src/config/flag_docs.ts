/**
 * What every command-line flag means, in one place: `--help` prints it, and the flag tables of
 * the README and docs/flags.md are generated from it (`deno task docs`), so they cannot drift
 * from the parser (a test compares all three).
 *
 * @module
 */

/** One flag as a person reads it. */
export interface FlagDoc {
  /** The flag without its dashes. */
  name: string;
  /** The value's placeholder (`PATH`, `DUR`); none for a switch. */
  value?: string;
  /** The default, as text; empty when there is none. */
  default: string;
  meaning: string;
}

/** Every flag, in the order `--help` and the tables show them. */
export const FLAG_DOCS: readonly FlagDoc[] = [
  {
    name: "kubeconfig",
    value: "PATH",
    default: "$KUBECONFIG, else in-cluster, else ~/.kube/config",
    meaning:
      "API access (token, token file or client certificate users; exec plugins are not supported)",
  },
  {
    name: "namespace",
    value: "NS",
    default: "in-cluster namespace, else the context's, else default",
    meaning: "the namespace watched",
  },
  {
    name: "all-namespaces",
    default: "off",
    meaning:
      "one list + watch of labelled pods over every namespace; networks, answers, holds and PTR per namespace (--namespace is then only the Service's)",
  },
  {
    name: "label",
    value: "NAME",
    default: "kubedock",
    meaning: "opt-in label; its value must be true",
  },
  {
    name: "hostalias-prefix",
    value: "P",
    default: "kubedock.hostalias/",
    meaning: "alias annotations",
  },
  {
    name: "network-prefix",
    value: "P",
    default: "kubedock.network/",
    meaning: "network annotations",
  },
  { name: "dns-listen", value: "HOST:PORT", default: "0.0.0.0:1053", meaning: "UDP and TCP" },
  {
    name: "upstream",
    value: "HOST[:PORT]",
    default: "every nameserver of /etc/resolv.conf, port 53",
    meaning:
      "where other names go; repeatable: failover in order, a failing one marked down and probed; this server's own address is refused",
  },
  {
    name: "upstream-timeout",
    value: "DUR",
    default: "2s",
    meaning: "per attempt; one retry (on the next upstream that is up), then stale or SERVFAIL",
  },
  {
    name: "cache-size",
    value: "N",
    default: "10000",
    meaning: "forwarded replies kept, least recently used evicted; 0 turns the cache off",
  },
  {
    name: "cache-max-ttl",
    value: "DUR",
    default: "300s",
    meaning: "a positive reply is kept for its smallest TTL, at most this",
  },
  {
    name: "cache-negative-ttl",
    value: "DUR",
    default: "5s",
    meaning: "NXDOMAIN/NODATA kept for their SOA minimum (RFC 2308), at most this; 0: not kept",
  },
  {
    name: "cache-stale",
    value: "DUR",
    default: "1h",
    meaning:
      "an expired reply is answered (TTL 30) this long past expiry when every upstream fails (RFC 8767); 0: never",
  },
  {
    name: "wait-timeout",
    value: "DUR",
    default: "20s",
    meaning: "how long an internal name may be held",
  },
  {
    name: "max-pending",
    value: "N",
    default: "10000",
    meaning: "held queries at once; past it, SERVFAIL at once",
  },
  {
    name: "max-pending-per-source",
    value: "N",
    default: "256",
    meaning: "held queries at once from one source IP; past it, SERVFAIL at once",
  },
  { name: "tcp-max", value: "N", default: "1000", meaning: "open DNS-over-TCP connections" },
  {
    name: "tcp-max-per-source",
    value: "N",
    default: "16",
    meaning: "open DNS-over-TCP connections from one source IP",
  },
  {
    name: "tcp-idle-timeout",
    value: "DUR",
    default: "10s",
    meaning: "an idle DNS-over-TCP connection is closed after this",
  },
  { name: "ttl", value: "SECONDS", default: "10", meaning: "TTL of our answers" },
  {
    name: "cluster-domain",
    value: "D",
    default: "cluster.local",
    meaning: "for the search suffix",
  },
  {
    name: "internal-domain",
    value: "D",
    default: "none; repeatable",
    meaning: "names under D are internal too",
  },
  {
    name: "webhook-listen",
    value: "HOST:PORT",
    default: "0.0.0.0:8443",
    meaning: "the admission webhook (HTTPS)",
  },
  { name: "no-webhook", default: "", meaning: "run watcher + DNS only" },
  {
    name: "tls-cert",
    value: "FILE",
    default: "",
    meaning: "webhook certificate file (with --tls-key), reloaded when it changes",
  },
  { name: "tls-key", value: "FILE", default: "", meaning: "its private key" },
  {
    name: "tls-secret",
    value: "NAME",
    default: "",
    meaning: "or: bootstrap the certificate into this Secret (with --webhook-config)",
  },
  {
    name: "webhook-config",
    value: "NAME",
    default: "",
    meaning: "the MutatingWebhookConfiguration whose caBundle is patched",
  },
  {
    name: "tls-reload-interval",
    value: "DUR",
    default: "10s",
    meaning: "how often the certificate files, or the --tls-secret Secret, are checked",
  },
  {
    name: "cert-lifetime",
    value: "DUR",
    default: "8760h",
    meaning:
      "with --tls-secret: the CA and serving certificate live this long and are renewed with a third left (older, longer-lived ones at once); the caBundle keeps the old CA until it expires",
  },
  {
    name: "dns-service",
    value: "NAME",
    default: "kubedock-dns",
    meaning: "Service whose ClusterIP pods are pointed at",
  },
  { name: "client-ndots", value: "N", default: "5", meaning: "the pods' resolver option ndots" },
  {
    name: "client-timeout",
    value: "SECONDS",
    default: "30",
    meaning: "the pods' resolver timeout; with the webhook on, must exceed --wait-timeout",
  },
  {
    name: "client-attempts",
    value: "N",
    default: "2",
    meaning: "the pods' resolver attempts",
  },
  {
    name: "health-listen",
    value: "HOST:PORT",
    default: "0.0.0.0:8080",
    meaning:
      "plain HTTP: /healthz; /readyz (200 once the first pod list is applied and, with the webhook, TLS is loaded and the Service IP known); /metrics",
  },
  {
    name: "log-level",
    value: "LEVEL",
    default: "info",
    meaning: "debug, info, warning or error",
  },
  { name: "log-format", value: "F", default: "json", meaning: "json or text, on stderr" },
  {
    name: "lameduck",
    value: "DUR",
    default: "5s",
    meaning:
      "after SIGTERM: /readyz 503 while DNS and the webhook keep serving this long (kube-proxy still sends queries); a second signal skips the rest; 0: none",
  },
  {
    name: "shutdown-timeout",
    value: "DUR",
    default: "10s",
    meaning:
      "after the lameduck, the drain ends within this (the manifests give 30 s of grace, more than both)",
  },
  {
    name: "debug-endpoints",
    default: "off",
    meaning: "serve GET /debug/networks on the health port",
  },
  { name: "no-metrics", default: "metrics on", meaning: "no /metrics and no per-query counting" },
  { name: "help", default: "", meaning: "print every flag with its default and meaning, exit 0" },
  { name: "version", default: "", meaning: "print the version, exit 0" },
];

function usage(doc: FlagDoc): string {
  return doc.value ? `--${doc.name} ${doc.value}` : `--${doc.name}`;
}

/**
 * The `--help` text: one flag a line (or two), its default and meaning.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { helpText } from "./flag_docs.ts";
 * assert.match(helpText("0.1.0"), /--wait-timeout DUR +how long an internal name may be held \[20s\]/);
 * ```
 */
export function helpText(version: string): string {
  const width = Math.max(...FLAG_DOCS.map((doc) => usage(doc).length)) + 2;
  return [
    `kubedock-dns ${version}: docker networks' names for kubedock pods, one view per network.`,
    "",
    "Usage: deno task start [FLAGS]   (durations like 500ms, 2s, 1m; --flag=value also works)",
    "",
    ...FLAG_DOCS.map((doc) =>
      `  ${usage(doc).padEnd(width)}${doc.meaning}${doc.default ? ` [${doc.default}]` : ""}`
    ),
    "",
  ].join("\n");
}

const code = (text: string) => text ? `\`${text}\`` : "";

/**
 * The Markdown table of every flag, as the README and docs/flags.md hold it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flagsTable } from "./flag_docs.ts";
 * assert.match(flagsTable(), /^\| flag \| default \| meaning \|$/m);
 * assert.match(flagsTable(), /^\| `--ttl SECONDS` \| `10` \| TTL of our answers \|$/m);
 * ```
 */
export function flagsTable(): string {
  return [
    "| flag | default | meaning |",
    "| --- | --- | --- |",
    ...FLAG_DOCS.map((doc) => `| ${code(usage(doc))} | ${code(doc.default)} | ${doc.meaning} |`),
  ].join("\n");
}
