/**
 * The webhook's HTTPS server on its own: what reaches the handler, the body bound, and that a
 * refused request leaves the server serving.
 */
import assert from "node:assert/strict";
import { generateWebhookCertificates } from "../src/webhook/certificates.ts";
import { MAX_BODY_BYTES, type WebhookRequest, WebhookServer } from "../src/webhook/server.ts";

Deno.test("the webhook server: requests as the handler sees them, and the body bound", async (t) => {
  const { ca, serving } = await generateWebhookCertificates(["localhost"], 1, ["127.0.0.1"]);
  const seen: WebhookRequest[] = [];
  const server = await WebhookServer.start({ hostname: "127.0.0.1", port: 0 }, (request) => {
    seen.push(request);
    return { status: 200, body: { length: request.body.length } };
  }, serving);
  const client = Deno.createHttpClient({ caCerts: [ca.cert] });
  const url = `https://127.0.0.1:${server.address.port}`;
  const post = (path: string, body: string) =>
    fetch(`${url}${path}`, { method: "POST", body, client });
  try {
    await t.step("method, path without the query, the body as text", async () => {
      const response = await post("/mutate/pods?timeout=10s", '{"ü":1}');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "application/json");
      assert.deepEqual(await response.json(), { length: 7 });
      assert.deepEqual(seen.at(-1), { method: "POST", path: "/mutate/pods", body: '{"ü":1}' });
    });

    await t.step(
      "a body past the bound: 413 with a JSON error, the handler never called",
      async () => {
        const before = seen.length;
        const response = await post("/mutate/pods", "x".repeat(MAX_BODY_BYTES + 1));
        assert.equal(response.status, 413);
        assert.match((await response.json()).error, /larger than/);
        assert.equal(seen.length, before);
      },
    );

    await t.step("the server keeps serving", async () => {
      const response = await post("/mutate/pods", "{}");
      assert.equal(response.status, 200);
      await response.body?.cancel();
    });
  } finally {
    client.close();
    await server.stop();
  }
});
