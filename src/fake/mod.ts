/**
 * The fake Kubernetes API server (and its kubelet and admission) for tests, benchmarks and the demo.
 * What this folder offers the rest of the program; the modules beside it hold the details.
 *
 * @module
 */

export { FakeApiServer } from "./api_server.ts";
export { mutatingAdmission } from "./admission.ts";
export { freePort } from "./free_port.ts";
export { kubedockPod } from "./kubedock_pod.ts";
export { ServiceProxy } from "./service_proxy.ts";
export { webhookConfiguration } from "./webhook_configuration.ts";
