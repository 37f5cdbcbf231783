/**
 * When a bootstrapped certificate is renewed, and which CAs the webhook's `caBundle` trusts across
 * a renewal: pure rules over validity periods, with the time passed in.
 *
 * A serving certificate is renewed once a third of `--cert-lifetime` is left, or at once when it
 * is valid for longer than the lifetime allows (one made by an older version, for ten years). Each
 * renewal makes a new CA; the bundle holds the new CA first and the previous one until it expires,
 * never more than two, and a replica never writes a bundle older than the one trusted now.
 *
 * @module
 */

import { certificateValidity, pemCertificates } from "./cert_validity.ts";

/** A certificate valid this much longer than `--cert-lifetime` from now is renewed at once. */
const OUTLIVES_BY_MS = 60_000;

/**
 * Whether the certificate `pem` is due for renewal at `now`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renewalDue } from "./rotation.ts";
 * import { generateWebhookCertificates } from "./certificates.ts";
 * const { serving } = await generateWebhookCertificates(["x.ci.svc"], 365);
 * const year = 365 * 86_400_000;
 * assert.equal(renewalDue(serving.cert, year, Date.now()), false);
 * assert.equal(renewalDue(serving.cert, year, Date.now() + 0.7 * year), true); // a third left
 * assert.equal(renewalDue(serving.cert, year / 12, Date.now()), true); // outlives the lifetime
 * ```
 */
export function renewalDue(pem: string, lifetimeMs: number, now: number): boolean {
  const left = certificateValidity(pem).notAfter - now;
  return left <= lifetimeMs / 3 || left > lifetimeMs + OUTLIVES_BY_MS;
}

/**
 * The CAs of `bundle` that are still valid at `now`, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validCas } from "./rotation.ts";
 * import { generateWebhookCertificates } from "./certificates.ts";
 * const { ca } = await generateWebhookCertificates(["x.ci.svc"], 1);
 * assert.deepEqual(validCas(ca.cert, Date.now()).length, 1);
 * assert.deepEqual(validCas(ca.cert, Date.now() + 2 * 86_400_000), []);
 * ```
 */
export function validCas(bundle: string, now: number): string[] {
  return pemCertificates(bundle).filter((pem) => certificateValidity(pem).notAfter > now);
}

/**
 * Certificates as one PEM bundle, the form `ca.crt` and the `caBundle` are written in (so that
 * equal sets of CAs are equal text).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pemBundle } from "./rotation.ts";
 * const one = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----";
 * assert.equal(pemBundle([one, one]), `${one}\n${one}\n`);
 * ```
 */
export function pemBundle(certificates: string[]): string {
  return certificates.map((pem) => `${pem.trim()}\n`).join("");
}

/**
 * The bundle after a renewal: `newCa`, then the newest CA of `previous` while it is valid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rotatedBundle } from "./rotation.ts";
 * import { pemCertificates } from "./cert_validity.ts";
 * import { generateWebhookCertificates } from "./certificates.ts";
 * const [a, b, c] = await Promise.all([1, 2, 3].map(() => generateWebhookCertificates(["x"], 1)));
 * const bundle = rotatedBundle(c.ca.cert, rotatedBundle(b.ca.cert, a.ca.cert, Date.now()), Date.now());
 * assert.deepEqual(pemCertificates(bundle), [c.ca.cert.trim(), b.ca.cert.trim()]);
 * ```
 */
export function rotatedBundle(newCa: string, previous: string, now: number): string {
  return pemBundle([...pemCertificates(newCa), ...validCas(previous, now)].slice(0, 2));
}

/**
 * Whether a replica may write the bundle `ours`, made from its own read of the Secret, over the
 * bundle `current` that a webhook trusts now. Not when `current` holds a CA issued later than every
 * CA of `ours`: another replica renewed after this one read the Secret, serves a certificate of
 * that CA already, and writing `ours` would take the CA away (admissions to that replica would fail
 * until this one read the Secret again). A `current` that cannot be read is replaced. Issue times
 * are the CAs' `notBefore`, backdated a tenth of `--cert-lifetime` (at most 5 minutes): after a
 * change of a lifetime under 50 minutes they may misorder once, and the bundle is then replaced as
 * before this rule.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mayReplaceBundle, pemBundle } from "./rotation.ts";
 * import { generateWebhookCertificates } from "./certificates.ts";
 * const old = await generateWebhookCertificates(["x.ci.svc"], 1); // issued 5 minutes back
 * const renewed = await generateWebhookCertificates(["x.ci.svc"], 0.001); // 9 seconds back
 * const before = pemBundle([old.ca.cert]);
 * const after = pemBundle([renewed.ca.cert, old.ca.cert]);
 * assert.equal(mayReplaceBundle(after, before), true); // the renewing replica
 * assert.equal(mayReplaceBundle(before, after), false); // a replica that read the Secret before it
 * assert.equal(mayReplaceBundle(after, after), true);
 * assert.equal(mayReplaceBundle(before, ""), true);
 * ```
 */
export function mayReplaceBundle(ours: string, current: string): boolean {
  return newestIssue(current) <= newestIssue(ours);
}

/** The latest `notBefore` of a bundle's certificates; -Infinity for none or an unreadable one. */
function newestIssue(bundle: string): number {
  try {
    return Math.max(
      -Infinity,
      ...pemCertificates(bundle).map((pem) => certificateValidity(pem).notBefore),
    );
  } catch {
    return -Infinity;
  }
}

/**
 * How long to wait before looking at the certificate again: the reload interval, or less when
 * renewal of a certificate valid until `notAfter` falls due sooner.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nextCheckMs } from "./rotation.ts";
 * const year = 365 * 86_400_000;
 * assert.equal(nextCheckMs(Date.now() + year, year, 10_000, Date.now()), 10_000);
 * assert.equal(nextCheckMs(1_000 + year / 3, year, 10_000, 0), 1_000); // due in a second
 * ```
 */
export function nextCheckMs(
  notAfter: number,
  lifetimeMs: number,
  intervalMs: number,
  now: number,
): number {
  return Math.max(0, Math.min(intervalMs, notAfter - lifetimeMs / 3 - now));
}
