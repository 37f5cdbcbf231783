/**
 * The webhook's certificate as files (`--tls-cert`, `--tls-key`): read once at start, then polled
 * for changes (a Secret mounted as files changes in place when cert-manager renews it).
 *
 * @module
 */

import type { TlsMaterial } from "./server.ts";

/** What polling the certificate files needs. */
export interface TlsPollOptions {
  certPath: string;
  keyPath: string;
  intervalMs: number;
  /** Called with the new pair when either file changed. */
  onChange: (tls: TlsMaterial) => void | Promise<void>;
  /** Called when the pair cannot be read (a half-written pair): the old one stays. */
  onError?: (error: Error) => void;
  /** The pair already loaded (no change is reported for it). */
  initial?: TlsMaterial;
}

/**
 * Reads a certificate chain and its key from PEM files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTlsFiles } from "./tls_files.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/tls.crt`, "-----BEGIN CERTIFICATE-----\n...");
 * await Deno.writeTextFile(`${dir}/tls.key`, "-----BEGIN PRIVATE KEY-----\n...");
 * const tls = await readTlsFiles(`${dir}/tls.crt`, `${dir}/tls.key`);
 * assert.match(tls.cert, /CERTIFICATE/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readTlsFiles(certPath: string, keyPath: string): Promise<TlsMaterial> {
  return { cert: await Deno.readTextFile(certPath), key: await Deno.readTextFile(keyPath) };
}

/**
 * Re-reads certificate files every `intervalMs` and calls `onChange` when their content changed.
 * Returns a function that stops the polling.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pollTlsFiles } from "./tls_files.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/tls.crt`, "one");
 * await Deno.writeTextFile(`${dir}/tls.key`, "key");
 * const seen: string[] = [];
 * const stop = pollTlsFiles({ certPath: `${dir}/tls.crt`, keyPath: `${dir}/tls.key`, intervalMs: 20, onChange: async (tls) => { seen.push(tls.cert); } });
 * await Deno.writeTextFile(`${dir}/tls.crt`, "two");
 * await new Promise((r) => setTimeout(r, 200));
 * stop();
 * assert.ok(seen.includes("two"), "the changed file was read again");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function pollTlsFiles(options: TlsPollOptions): () => void {
  const { certPath, keyPath, intervalMs, onChange, onError = () => {}, initial } = options;
  let last = initial ? initial.cert + initial.key : "";
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const tls = await readTlsFiles(certPath, keyPath);
      if (tls.cert + tls.key !== last) {
        await onChange(tls);
        last = tls.cert + tls.key;
      }
    } catch (error) {
      onError(error as Error); // a half-written pair fails to load: the old one stays
    } finally {
      busy = false;
    }
  }, intervalMs);
  return () => clearInterval(timer);
}
