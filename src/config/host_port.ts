/**
 * `HOST:PORT` addresses as written on the command line.
 *
 * @module
 */

/** A host (IPv4, IPv6 without brackets, or a name) and a port. */
export interface HostPort {
  hostname: string;
  port: number;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT`, or (when `defaultPort` is given) a bare host.
 * Returns `undefined` when the text is not an address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHostPort } from "./host_port.ts";
 * assert.deepEqual(parseHostPort("0.0.0.0:1053"), { hostname: "0.0.0.0", port: 1053 });
 * assert.deepEqual(parseHostPort("[::1]:53"), { hostname: "::1", port: 53 });
 * assert.deepEqual(parseHostPort("10.43.0.10", 53), { hostname: "10.43.0.10", port: 53 });
 * ```
 */
export function parseHostPort(text: string, defaultPort?: number): HostPort | undefined {
  let hostname: string;
  let portText: string | undefined;
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    [, hostname, portText] = bracketed;
  } else if ((text.match(/:/g) ?? []).length > 1) {
    hostname = text; // a bare IPv6 address
  } else {
    const colon = text.lastIndexOf(":");
    hostname = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
  }
  if (!/^[A-Za-z0-9.:_-]+$/.test(hostname)) return undefined;
  if (portText === undefined) {
    return defaultPort === undefined ? undefined : { hostname, port: defaultPort };
  }
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  return port <= 65535 ? { hostname, port } : undefined;
}

/**
 * Formats an address back to `HOST:PORT`, bracketing IPv6 hosts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatHostPort } from "./host_port.ts";
 * assert.deepEqual(formatHostPort({ hostname: "::1", port: 53 }), "[::1]:53");
 * ```
 */
export function formatHostPort(address: HostPort): string {
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}

const WILDCARDS = new Set(["0.0.0.0", "::"]);

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * Whether a server listening on `listen` receives what is sent to `target`: same port, and the
 * same host, or a wildcard listener and a loopback or wildcard target. (A wildcard listener also
 * gets what is sent to the machine's other addresses; those are not known without asking the
 * system, so they are not recognised here.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reaches } from "./host_port.ts";
 * assert.equal(reaches({ hostname: "127.0.0.1", port: 1053 }, { hostname: "0.0.0.0", port: 1053 }), true);
 * assert.equal(reaches({ hostname: "10.43.0.10", port: 53 }, { hostname: "0.0.0.0", port: 1053 }), false);
 * ```
 */
export function reaches(target: HostPort, listen: HostPort): boolean {
  if (target.port !== listen.port) return false;
  if (target.hostname === listen.hostname) return true;
  return WILDCARDS.has(listen.hostname) &&
    (isLoopback(target.hostname) || WILDCARDS.has(target.hostname));
}
