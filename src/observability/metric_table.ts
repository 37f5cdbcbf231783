/**
 * The table of the program's scrape-time metrics: each declared once with its name, type, help,
 * labels and how it is read from the parts that keep the value.
 *
 * @module
 */

import type { DnsServerState } from "../dns/state.ts";
import type { UpstreamStats } from "../dns/upstream.ts";
import type { NetworkIndex } from "../index/network_index.ts";
import type { InvalidAliasLog } from "../kube/invalid_aliases.ts";
import type { PodWatcherStats } from "../kube/pod_watcher.ts";
import type { ScrapedType } from "./metrics.ts";

/** Where the scrape-time values come from. */
export interface MetricSources {
  index: NetworkIndex;
  dns: DnsServerState;
  upstream: UpstreamStats;
  invalidAliases: InvalidAliasLog;
  watcher: PodWatcherStats;
  version: string;
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
    name: "kubedock_dns_upstream_timeouts_total",
    type: "counter",
    help: "Upstream attempts that timed out.",
    read: ({ upstream }) => one(upstream.timeouts),
  },
  {
    name: "kubedock_dns_upstream_errors_total",
    type: "counter",
    help: "Upstream attempts that failed otherwise.",
    read: ({ upstream }) => one(upstream.errors),
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
    name: "kubedock_dns_build_info",
    type: "gauge",
    help: "Build information.",
    labels: ["version", "deno"],
    read: ({ version }) => [[[version, Deno.version.deno], 1]],
  },
];
