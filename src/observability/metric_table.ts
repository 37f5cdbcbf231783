/**
 * The table of the program's scrape-time metrics: each declared once with its name, type, help,
 * labels and how it is read from the parts that keep the value.
 *
 * @module
 */

import type { DnsServerState } from "../dns/state.ts";
import type { UpstreamHealth } from "../dns/upstream/upstream.ts";
import type { NetworkIndex } from "../index/network_index.ts";
import type { InvalidAliasLog } from "../kube/invalid_aliases.ts";
import type { PodWatcherStats } from "../kube/pod_watcher.ts";
import type { ScrapedType } from "./metrics.ts";

/** Where the scrape-time values come from. */
export interface MetricSources {
  index: NetworkIndex;
  dns: DnsServerState;
  /** The upstream servers, in order. */
  upstream: { readonly servers: readonly UpstreamHealth[] };
  invalidAliases: InvalidAliasLog;
  watcher: PodWatcherStats;
  version: string;
  /** Whether `/readyz` answers 200 now (read at scrape time; absent: not reported). */
  ready?: () => boolean;
  /** When the webhook's served certificate expires, ms since the epoch (none: not reported). */
  certificateNotAfter?: () => number | undefined;
}

/** One scrape-time metric: declared once, read from the sources when scraped. */
export interface ScrapedMetric {
  name: string;
  type: ScrapedType;
  help: string;
  labels?: string[];
  read: (sources: MetricSources) => [string[], number][];
}

const one = (value: number): [string[], number][] => [[[], value]];

/** Every metric whose value another part keeps (the query and review metrics are counted here). */
export const SCRAPED: readonly ScrapedMetric[] = [
  {
    name: "kubedock_dns_bad_packets_total",
    type: "counter",
    help: "Malformed messages: dropped, or rejected with NOTIMP/FORMERR.",
    labels: ["action"],
    read: ({ dns }) => [[["dropped"], dns.dispatch.dropped], [["rejected"], dns.dispatch.rejected]],
  },
  {
    name: "kubedock_dns_upstream_attempts_total",
    type: "counter",
    help: "Queries sent to each upstream (retries included, probes of a down upstream not).",
    labels: ["upstream"],
    read: ({ upstream }) => upstream.servers.map((s) => [[s.address], s.attempts]),
  },
  {
    name: "kubedock_dns_upstream_timeouts_total",
    type: "counter",
    help: "Attempts (and probes) that got no reply within --upstream-timeout, per upstream.",
    labels: ["upstream"],
    read: ({ upstream }) => upstream.servers.map((s) => [[s.address], s.stats.timeouts]),
  },
  {
    name: "kubedock_dns_upstream_errors_total",
    type: "counter",
    help: "Attempts (and probes) that failed otherwise (send or connect errors), per upstream.",
    labels: ["upstream"],
    read: ({ upstream }) => upstream.servers.map((s) => [[s.address], s.stats.errors]),
  },
  {
    name: "kubedock_dns_upstream_up",
    type: "gauge",
    help:
      "1 while an upstream is used, 0 while it is marked down (failed attempts in a row) and probed.",
    labels: ["upstream"],
    read: ({ upstream }) => upstream.servers.map((s) => [[s.address], s.up ? 1 : 0]),
  },
  {
    name: "kubedock_dns_cache_requests_total",
    type: "counter",
    help:
      "Forwarded queries looked up in the cache: hit (answered from it) or miss (asked upstream, or answered stale).",
    labels: ["result"],
    read: ({ dns }) => [[["hit"], dns.cache.stats.hits], [["miss"], dns.cache.stats.misses]],
  },
  {
    name: "kubedock_dns_cache_stale_answers_total",
    type: "counter",
    help: "Expired replies answered (TTL 30) because every upstream failed (serve-stale).",
    read: ({ dns }) => one(dns.cache.stats.stale),
  },
  {
    name: "kubedock_dns_cache_evictions_total",
    type: "counter",
    help: "Replies dropped from the cache to stay within --cache-size.",
    read: ({ dns }) => one(dns.cache.stats.evictions),
  },
  {
    name: "kubedock_dns_cache_entries",
    type: "gauge",
    help: "Replies in the cache now (fresh, or expired but inside --cache-stale).",
    read: ({ dns }) => one(dns.cache.size),
  },
  {
    name: "kubedock_dns_held_queries",
    type: "gauge",
    help:
      "Search-suffixed internal names in the hold path now (asking upstream, or waiting for the alias); bounded by --max-pending and --max-pending-per-source.",
    read: ({ dns }) => one(dns.holds.size),
  },
  {
    name: "kubedock_dns_held_queries_total",
    type: "counter",
    help:
      "Queries that took the hold path, by how they ended (answered, relayed: upstream had the name, timeout, released, overflow, source_limit).",
    labels: ["outcome"],
    read: ({ dns }) => Object.entries(dns.holds.outcomes).map(([outcome, n]) => [[outcome], n]),
  },
  {
    name: "kubedock_dns_shared_queries_total",
    type: "counter",
    help: "Forwarded queries that joined an identical exchange already in flight.",
    read: ({ dns }) => one(dns.forwarding.shared),
  },
  {
    name: "kubedock_dns_forwarding_loops_total",
    type: "counter",
    help:
      "Queries that came back through a forwarding loop (the start-up probe, or a query for a name being asked upstream).",
    read: ({ dns }) => one(dns.forwarding.loops),
  },
  {
    name: "kubedock_dns_tcp_connections",
    type: "gauge",
    help: "Open DNS-over-TCP connections; bounded by --tcp-max and --tcp-max-per-source.",
    read: ({ dns }) => one(dns.tcp.open),
  },
  {
    name: "kubedock_dns_tcp_connections_closed_total",
    type: "counter",
    help:
      "Connections closed at a bound: evicted (an idle one made room) or refused (the new one).",
    labels: ["reason"],
    read: ({ dns }) => [[["evicted"], dns.tcp.evicted], [["refused"], dns.tcp.refused]],
  },
  {
    name: "kubedock_dns_replies_denied_total",
    type: "counter",
    help:
      "Replies Deno's net permission refused to send: the client's address is outside the permission set (see the error log line).",
    read: ({ dns }) => one(dns.denied.count),
  },
  {
    name: "kubedock_dns_invalid_aliases_total",
    type: "counter",
    help:
      "Hostalias annotations left out of the index because they cannot be encoded (each pod and annotation once).",
    read: ({ invalidAliases }) => one(invalidAliases.count),
  },
  {
    name: "process_resident_memory_bytes",
    type: "gauge",
    help: "Resident memory of the process.",
    read: () => one(Deno.memoryUsage().rss),
  },
  {
    name: "kubedock_dns_indexed_pods",
    type: "gauge",
    help: "Pods in the network index.",
    read: ({ index }) => one(index.podCount),
  },
  {
    name: "kubedock_dns_indexed_networks",
    type: "gauge",
    help: "Networks with at least one indexed pod.",
    read: ({ index }) => one(index.networkCount),
  },
  {
    name: "kubedock_dns_namespace_pods",
    type: "gauge",
    help:
      "With --all-namespaces: indexed pods per namespace (namespaces with none are not listed).",
    labels: ["namespace"],
    read: ({ index }) => [...index.namespaceCounts()].map(([ns, count]) => [[ns], count.pods]),
  },
  {
    name: "kubedock_dns_namespace_networks",
    type: "gauge",
    help: "With --all-namespaces: networks with at least one indexed pod, per namespace.",
    labels: ["namespace"],
    read: ({ index }) => [...index.namespaceCounts()].map(([ns, count]) => [[ns], count.networks]),
  },
  {
    name: "kubedock_dns_watch_relists_total",
    type: "counter",
    help: "Full pod lists applied.",
    read: ({ watcher }) => one(watcher.relists),
  },
  {
    name: "kubedock_dns_watch_reconnects_total",
    type: "counter",
    help: "Watch streams resumed after the server or the idle timer ended them.",
    read: ({ watcher }) => one(watcher.reconnects),
  },
  {
    name: "kubedock_dns_watch_errors_total",
    type: "counter",
    help: "Failed list or watch attempts (each followed by a back-off).",
    read: ({ watcher }) => one(watcher.errors),
  },
  {
    name: "kubedock_dns_watch_events_total",
    type: "counter",
    help: "Watch events applied, by type.",
    labels: ["type"],
    read: ({ watcher }) => Object.entries(watcher.events).map(([type, n]) => [[type], n]),
  },
  {
    name: "kubedock_dns_ready",
    type: "gauge",
    help:
      "1 while this replica is ready (/readyz 200), 0 while not (starting, stopping, POD_IP outside the permission set).",
    read: ({ ready }) => ready ? one(ready() ? 1 : 0) : [],
  },
  {
    name: "kubedock_dns_certificate_not_after_timestamp_seconds",
    type: "gauge",
    help:
      "When the webhook certificate this replica serves expires (Unix seconds); bootstrapped ones are renewed with a third of --cert-lifetime left.",
    read: ({ certificateNotAfter }) => {
      const notAfter = certificateNotAfter?.();
      return notAfter === undefined ? [] : one(notAfter / 1000);
    },
  },
  {
    name: "kubedock_dns_build_info",
    type: "gauge",
    help: "Build information.",
    labels: ["version", "deno"],
    read: ({ version }) => [[[version, Deno.version.deno], 1]],
  },
];
