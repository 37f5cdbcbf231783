/**
 * An in-process fake Kubernetes API server on loopback, faithful to the list/watch rules the
 * watcher and kubectl rely on: this file routes requests, applies writes (admission included) and
 * injects faults; watches stream from watch_stream.ts, the kubelet (IPs, readiness) is kubelet.ts.
 *
 * @module
 */

import jsonPatch from "fast-json-patch";
import type { AdmissionHook } from "./admission.ts";
import { parseLabelSelector } from "./label_selector.ts";
import { ApiError, type KubeObject, ObjectStore } from "./object_store.ts";
import { discoveryDocument } from "./discovery.ts";
import { wantsTable } from "./pod_table.ts";
import { listPage } from "./list_page.ts";
import { allocateClusterIp } from "./cluster_ip.ts";
import { json, status } from "./api_responses.ts";
import { FakeKubelet } from "./kubelet.ts";
import { kubeconfigFor, parseRoute, RESOURCES, type Route } from "./routes.ts";
import { mergePatch } from "./merge_patch.ts";
import { type ActiveWatch, watchResponse } from "./watch_stream.ts";
import {
  type FakeApiServerOptions,
  type FakeApiServerSettings,
  withDefaults,
} from "./api_server_options.ts";

export type { FakeApiServerOptions };

/**
 * The fake API server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeApiServer } from "./api_server.ts";
 * const api = FakeApiServer.start({ namespace: "ci", autoReady: true });
 * api.store.create("services", "ci", { metadata: { name: "kubedock-dns" }, spec: { clusterIP: "10.43.0.53" } });
 * const response = await fetch(`${api.url}/api/v1/namespaces/ci/services/kubedock-dns`);
 * assert.equal((await response.json()).spec.clusterIP, "10.43.0.53");
 * const kubeconfig = await api.writeKubeconfig();
 * assert.ok((await Deno.readTextFile(kubeconfig)).includes(`server: ${api.url}`));
 * await api.stop();
 * await assert.rejects(Deno.stat(kubeconfig), Deno.errors.NotFound); // stop removes what it wrote
 * ```
 */
export class FakeApiServer {
  readonly store = new ObjectStore();
  readonly namespace: string;
  /** Every request seen, as `METHOD path?query`, for assertions. */
  readonly requests: string[] = [];
  /** The Authorization header of every request (the fake accepts any). */
  readonly authorizations = new Set<string>();
  /** Services created through the API, for their ClusterIPs. */
  #services = 0;
  /**
   * Which Authorization headers a resource request may carry; others get 401 as from a real API
   * server whose token expired. Unset: every request is let through.
   */
  acceptAuthorization: ((value: string | null) => boolean) | undefined;
  admission?: AdmissionHook;
  #options: FakeApiServerSettings;
  #tls?: { cert: string; key: string };
  #server?: Deno.HttpServer<Deno.NetAddr>;
  #port = 0;
  #watches = new Set<ActiveWatch>();
  #failures = 0;
  #failureCode = 500;
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #stopped = false;
  /** Kubeconfig files {@linkcode writeKubeconfig} wrote, removed by {@linkcode stop}. */
  #kubeconfigFiles: string[] = [];
  #kubelet: FakeKubelet;

  private constructor(options: FakeApiServerOptions) {
    this.namespace = options.namespace ?? "default";
    this.#tls = options.tls;
    this.#options = withDefaults(options);
    const kubelet = { ...this.#options, delayMs: this.#options.kubeletDelayMs };
    this.#kubelet = new FakeKubelet(this.store, kubelet);
  }

  /** Starts a server on 127.0.0.1 (or the options' `hostname`). */
  static start(options: FakeApiServerOptions = {}): FakeApiServer {
    const api = new FakeApiServer(options);
    api.#listen(api.#options.port);
    return api;
  }

  /** `http://127.0.0.1:PORT` (the listening address), or `https://` when serving TLS. */
  get url(): string {
    return `${this.#tls ? "https" : "http"}://${this.#options.hostname}:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  /** Number of open watch streams. */
  get watchCount(): number {
    return this.#watches.size;
  }

  /** A kubeconfig document pointing at this server. */
  kubeconfig(): string {
    return kubeconfigFor(this.url, this.namespace);
  }

  /** A pod's IP, once the fake kubelet has given it one. */
  podIp(name: string, namespace = this.namespace): string | undefined {
    return (this.store.get("pods", namespace, name).status as { podIP?: string } | undefined)
      ?.podIP;
  }

  /**
   * Writes {@linkcode kubeconfig} to a new temporary file and returns its path; {@linkcode stop}
   * removes the file.
   */
  async writeKubeconfig(): Promise<string> {
    const path = await Deno.makeTempFile({ prefix: "kubedock-dns-kubeconfig-", suffix: ".yaml" });
    this.#kubeconfigFiles.push(path);
    await Deno.writeTextFile(path, this.kubeconfig());
    return path;
  }

  /** Creates a pod as a client would (admission included); "kubelet" starts it afterwards. */
  async createPod(pod: KubeObject, namespace = this.namespace): Promise<KubeObject> {
    const admitted = this.admission
      ? await this.admission("CREATE", pod, undefined, namespace)
      : pod;
    const created = this.store.create("pods", namespace, {
      apiVersion: "v1",
      kind: "Pod",
      ...admitted,
    });
    this.#kubelet.start(namespace, created.metadata!.name!);
    return created;
  }

  /** Replaces a pod as a client would (admission UPDATE included). */
  async updatePod(pod: KubeObject, namespace = this.namespace): Promise<KubeObject> {
    return await this.#update("pods", namespace, pod.metadata!.name!, pod);
  }

  /** Sets a pod's Ready condition (as kubelet would after probes). */
  setReady(name: string, ready: boolean, namespace = this.namespace): KubeObject {
    return this.#kubelet.setReady(namespace, name, ready);
  }

  /** Deletes a pod. */
  deletePod(name: string, namespace = this.namespace): void {
    this.store.delete("pods", namespace, name);
  }

  /** Ends every open watch: cleanly (server closes the stream) or abruptly (cut mid-body). */
  closeWatches(abrupt = false): void {
    for (const watch of [...this.#watches]) watch.close(abrupt);
  }

  /** The next `count` API requests fail with `code`. */
  failRequests(count: number, code = 500): void {
    this.#failures = count;
    this.#failureCode = code;
  }

  /** Stops listening (connections are refused) for `ms`, then listens again on the same port. */
  async refuseConnections(ms: number): Promise<void> {
    this.closeWatches(true);
    await this.#server?.shutdown();
    this.#server = undefined;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#stopped) this.#listen(this.#port);
    }, ms);
    this.#timers.add(timer);
  }

  /** Stops the server for good. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#kubelet.stop();
    this.#timers.forEach((t) => clearTimeout(t));
    this.closeWatches(false);
    await this.#server?.shutdown();
    this.#server = undefined;
    for (const path of this.#kubeconfigFiles.splice(0)) {
      await Deno.remove(path).catch(() => {}); // a test may have removed it already
    }
  }

  #listen(port: number): void {
    this.#server = Deno.serve(
      { hostname: this.#options.hostname, port, onListen: () => {}, ...(this.#tls ?? {}) },
      (request) => this.#handle(request),
    );
    this.#port = this.#server.addr.port;
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    this.requests.push(`${request.method} ${url.pathname}${url.search}`);
    this.authorizations.add(request.headers.get("authorization") ?? "(none)");
    const discovery = discoveryDocument(url.pathname, RESOURCES);
    if (discovery !== undefined) {
      return discovery === null ? json(status(404, "NotFound", "not found"), 404) : json(discovery);
    }
    if (this.#failures > 0) {
      this.#failures--;
      return json(
        status(this.#failureCode, "InternalError", "injected failure"),
        this.#failureCode,
      );
    }
    const route = parseRoute(url.pathname);
    if (!route) {
      return json(status(404, "NotFound", "the server could not find the requested resource"), 404);
    }
    if (
      this.acceptAuthorization && !this.acceptAuthorization(request.headers.get("authorization"))
    ) {
      return json(status(401, "Unauthorized", "Unauthorized"), 401);
    }
    try {
      return await this.#resource(request, url, route);
    } catch (error) {
      if (error instanceof ApiError) {
        return json(status(error.code, error.reason, error.message), error.code);
      }
      const message = error instanceof Error ? error.message : String(error);
      return json(status(400, "BadRequest", message), 400);
    }
  }

  async #resource(request: Request, url: URL, route: Route): Promise<Response> {
    const { namespace, plural, name } = route;
    const kind = RESOURCES[plural].kind;
    const group = RESOURCES[plural].group;
    const apiVersion = group ? `${group}/v1` : "v1";
    const query = url.searchParams;
    switch (request.method) {
      case "GET": {
        if (name) return json(this.store.get(plural, namespace, name));
        const selector = parseLabelSelector(query.get("labelSelector"));
        const table = plural === "pods" && wantsTable(request.headers.get("accept"));
        if (query.get("watch") === "true" || query.get("watch") === "1") {
          return watchResponse({
            store: this.store,
            watches: this.#watches,
            plural,
            kind: RESOURCES[plural].kind,
            namespace,
            selector,
            query,
            table,
            bookmarkIntervalMs: this.#options.bookmarkIntervalMs,
          });
        }
        const list = this.store.list(plural, namespace, selector);
        return json(listPage(list, { kind, apiVersion, query, table }));
      }
      case "POST": {
        const body = await request.json() as KubeObject;
        if (plural === "pods") return json(await this.createPod(body, namespace!), 201);
        if (plural === "services") allocateClusterIp(body, ++this.#services);
        return json(this.store.create(plural, namespace, { apiVersion, kind, ...body }), 201);
      }
      case "PUT": {
        const body = await request.json() as KubeObject;
        return json(await this.#update(plural, namespace, name!, body));
      }
      case "PATCH": {
        const current = this.store.get(plural, namespace, name!);
        const type = request.headers.get("content-type") ?? "";
        const patch = await request.json();
        const patched = type.startsWith("application/json-patch+json")
          ? jsonPatch.applyPatch(structuredClone(current), patch, true, false).newDocument
          : mergePatch(current, patch) as KubeObject;
        delete patched.metadata!.resourceVersion;
        return json(await this.#update(plural, namespace, name!, patched));
      }
      case "DELETE":
        return json(this.store.delete(plural, namespace, name!));
      default:
        return json(status(405, "MethodNotAllowed", request.method), 405);
    }
  }

  async #update(plural: string, namespace: string | undefined, name: string, body: KubeObject) {
    if (plural === "pods" && this.admission) {
      const old = this.store.get(plural, namespace, name);
      body = await this.admission("UPDATE", body, old, namespace!);
    }
    return this.store.update(plural, namespace, name, body);
  }
}
