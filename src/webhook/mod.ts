/**
 * The admission webhook: the decision, certificates, the HTTPS server.
 * What this folder offers the rest of the program; the modules beside it hold the details.
 *
 * @module
 */

export { dnsPatch, reviewPod } from "./review.ts";
export { type RunningWebhook, startWebhook } from "./run_webhook.ts";
export { readTlsFiles } from "./tls_files.ts";
