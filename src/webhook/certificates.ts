/**
 * Certificates for the webhook, made with `@peculiar/x509` on WebCrypto: a CA, and a serving
 * certificate signed by it for the DNS Service's names. ECDSA P-256, PEM encoded.
 *
 * @module
 */

import "reflect-metadata"; // @peculiar/x509 (through tsyringe) needs the Reflect metadata polyfill
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto);

/** A certificate and its private key, PEM encoded. */
export interface CertificatePair {
  cert: string;
  key: string;
}

/** A CA and a serving certificate it signed. */
export interface WebhookCertificates {
  ca: CertificatePair;
  serving: CertificatePair;
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

function serial(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("").replace(/^[89a-f]/, "1");
}

/**
 * The DNS names a Service is reached by from inside the cluster.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serviceDnsNames } from "./certificates.ts";
 * assert.deepEqual(serviceDnsNames("kubedock-dns", "ci", "cluster.local"), [
 *   "kubedock-dns", "kubedock-dns.ci", "kubedock-dns.ci.svc", "kubedock-dns.ci.svc.cluster.local",
 * ]);
 * ```
 */
export function serviceDnsNames(
  service: string,
  namespace: string,
  clusterDomain: string,
): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.${clusterDomain}`,
  ];
}

/**
 * Makes a CA (valid `days`, fractions allowed) and a serving certificate for `dnsNames` (and
 * `ipAddresses`) signed by it, valid as long. Both start a little before now (a tenth of the
 * lifetime, at most 5 minutes) for clocks that lag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateWebhookCertificates } from "./certificates.ts";
 * const { ca, serving } = await generateWebhookCertificates(["kubedock-dns.ci.svc"], 365);
 * assert.match(ca.cert, /BEGIN CERTIFICATE/);
 * assert.match(serving.key, /BEGIN PRIVATE KEY/);
 * ```
 */
export async function generateWebhookCertificates(
  dnsNames: string[],
  days = 3650,
  ipAddresses: string[] = [],
): Promise<WebhookCertificates> {
  const lifetimeMs = days * 86_400_000;
  const notBefore = new Date(Date.now() - Math.min(5 * 60_000, lifetimeMs / 10));
  const notAfter = new Date(Date.now() + lifetimeMs);
  const caKeys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=kubedock-dns webhook CA",
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const servingKeys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const servingCert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${dnsNames[0]}`,
    issuer: caCert.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    publicKey: servingKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: "dns" as const, value })),
        ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    ],
  });
  return {
    ca: { cert: caCert.toString("pem"), key: await keyPem(caKeys.privateKey) },
    serving: { cert: servingCert.toString("pem"), key: await keyPem(servingKeys.privateKey) },
  };
}
