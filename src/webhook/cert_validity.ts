/**
 * When a PEM certificate is valid: its `notBefore` and `notAfter`, read from the DER by hand (a
 * few TLV steps into the TBSCertificate), so that a replica does not load an X.509 library (and
 * its several MB of memory) to watch its own certificate age. Also splits a PEM bundle into its
 * certificates.
 *
 * @module
 */

/** The validity period of a certificate, in ms since the epoch. */
export interface Validity {
  notBefore: number;
  notAfter: number;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The certificates of a PEM bundle, each as its own PEM block, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pemCertificates } from "./cert_validity.ts";
 * const one = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----";
 * assert.deepEqual(pemCertificates(`${one}\n${one}\n`), [one, one]);
 * ```
 */
export function pemCertificates(bundle: string): string[] {
  return bundle.match(PEM_BLOCK) ?? [];
}

/** One DER element: its tag and where its content starts and ends. */
interface Element {
  tag: number;
  start: number;
  end: number;
}

function element(der: Uint8Array, offset: number): Element {
  const tag = der[offset];
  let length = der[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes < 1 || bytes > 4) throw new Error("unsupported DER length");
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i];
    start += bytes;
  }
  const end = start + length;
  if (tag === undefined || end > der.length) throw new Error("truncated DER");
  return { tag, start, end };
}

function time(der: Uint8Array, at: Element): number {
  const text = new TextDecoder().decode(der.subarray(at.start, at.end));
  // UTCTime YYMMDDHHMMSSZ (years 1950–2049) or GeneralizedTime YYYYMMDDHHMMSSZ
  const match = at.tag === 0x17
    ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
    : at.tag === 0x18
    ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
    : null;
  if (!match) throw new Error(`unsupported certificate time ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const year = at.tag === 0x17 ? (y < 50 ? 2000 + y : 1900 + y) : y;
  return Date.UTC(year, mo - 1, d, h, mi, s);
}

/**
 * The validity of the first certificate in `pem`. Throws when it is no certificate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { certificateValidity } from "./cert_validity.ts";
 * import { generateWebhookCertificates } from "./certificates.ts";
 * const { serving } = await generateWebhookCertificates(["kubedock-dns.ci.svc"], 30);
 * const { notBefore, notAfter } = certificateValidity(serving.cert);
 * assert.ok(Math.abs(notAfter - (Date.now() + 30 * 86_400_000)) < 5_000);
 * assert.ok(notBefore < Date.now());
 * ```
 */
export function certificateValidity(pem: string): Validity {
  const [block] = pemCertificates(pem);
  if (!block) throw new Error("no PEM certificate");
  const base64 = block.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const certificate = element(der, 0);
  const tbs = element(der, certificate.start);
  let at = element(der, tbs.start);
  if (at.tag === 0xa0) at = element(der, at.end); // [0] version
  at = element(der, at.end); // serialNumber → signature algorithm
  at = element(der, at.end); // → issuer
  const validity = element(der, at.end);
  if (validity.tag !== 0x30) throw new Error("no validity in the certificate");
  const notBefore = element(der, validity.start);
  const notAfter = element(der, notBefore.end);
  return { notBefore: time(der, notBefore), notAfter: time(der, notAfter) };
}
