import assert from "node:assert/strict";
import jsonPatch from "fast-json-patch";
import { reviewPod, type ReviewSettings } from "../src/webhook/review.ts";
import { aliasProblem, networkProblem } from "../src/webhook/validation.ts";

const SETTINGS: ReviewSettings = {
  label: "kubedock",
  hostaliasPrefix: "kubedock.hostalias/",
  networkPrefix: "kubedock.network/",
  clusterDomain: "cluster.local",
  namespace: "ci",
  dnsServiceIp: "10.43.0.53",
  ndots: 5,
  timeout: 30,
  attempts: 2,
};

type Json = Record<string, unknown>;

function pod(
  annotations: unknown,
  labels: unknown = { kubedock: "true" },
  spec: unknown = { containers: [] },
): Json {
  return { metadata: { name: "db1", labels, annotations }, spec };
}

const GOOD = {
  "kubedock.hostalias/0": "db",
  "kubedock.hostalias/1": "frikandel.nl",
  "kubedock.network/0": "n1",
};

function review(operation: string, object: unknown, oldObject?: unknown): Json {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "uid-7",
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: "ci",
      operation,
      object,
      ...(oldObject ? { oldObject } : {}),
    },
  };
}

function decide(body: unknown) {
  const result = reviewPod(body, SETTINGS);
  const response = (result.body as { response?: Json }).response;
  return { result, response };
}

Deno.test("admission decisions", async (t) => {
  await t.step("not opted in: allowed, no patch (label absent, other value, wrong types)", () => {
    const unlabelled = { metadata: { name: "db1", annotations: GOOD }, spec: {} };
    const pods = [{ kubedock: "false" }, { kubedock: true }, {}, "kubedock", null].map((l) =>
      pod(GOOD, l)
    );
    for (const object of [unlabelled, ...pods]) {
      const { result, response } = decide(review("CREATE", object));
      assert.equal(result.status, 200);
      assert.equal(response?.uid, "uid-7");
      assert.equal(response?.allowed, true);
      assert.equal(response?.patch, undefined, JSON.stringify(object));
    }
  });

  await t.step("CREATE of a valid pod: the DNS patch", () => {
    const object = pod(GOOD);
    const { response } = decide(review("CREATE", object));
    assert.equal(response?.allowed, true);
    assert.equal(response?.patchType, "JSONPatch");
    const patch = JSON.parse(atob(response!.patch as string));
    const patched = jsonPatch.applyPatch(structuredClone(object), patch).newDocument as Json;
    assert.deepEqual((patched.spec as Json).dnsPolicy, "None");
    assert.deepEqual((patched.spec as Json).dnsConfig, {
      nameservers: ["10.43.0.53"],
      searches: ["ci.svc.cluster.local", "svc.cluster.local", "cluster.local"],
      options: [{ name: "ndots", value: "5" }, { name: "timeout", value: "30" }, {
        name: "attempts",
        value: "2",
      }],
    });
  });

  await t.step(
    "the patch applies to pods that already have dnsPolicy, dnsConfig, or no spec",
    () => {
      for (
        const spec of [
          { dnsPolicy: "ClusterFirst", containers: [] },
          { dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1"], searches: ["x"] } },
          undefined,
        ]
      ) {
        const object = pod(GOOD, undefined, spec);
        const { response } = decide(review("CREATE", object));
        const patch = JSON.parse(atob(response!.patch as string));
        const patched = jsonPatch.applyPatch(structuredClone(object), patch, true)
          .newDocument as Json;
        assert.equal((patched.spec as Json).dnsPolicy, "None");
        assert.deepEqual(((patched.spec as Json).dnsConfig as Json).nameservers, ["10.43.0.53"]);
      }
    },
  );

  await t.step("CREATE denials name the pod, the annotation key and the reason", () => {
    const cases: [unknown, RegExp][] = [
      [
        { ...GOOD, "kubedock.hostalias/1": "-bad" },
        /pod db1: annotation kubedock\.hostalias\/1="-bad": hostalias label "-bad"/,
      ],
      [{ ...GOOD, "kubedock.hostalias/0": "a".repeat(64) }, /kubedock\.hostalias\/0=.*1-63/],
      [{ ...GOOD, "kubedock.hostalias/0": "a..b" }, /label ""/],
      [
        { ...GOOD, "kubedock.hostalias/0": "" },
        /kubedock\.hostalias\/0="": hostalias must not be empty/,
      ],
      [
        { ...GOOD, "kubedock.network/0": "has space" },
        /kubedock\.network\/0="has space": network id must be printable/,
      ],
      [{ ...GOOD, "kubedock.network/0": "x".repeat(254) }, /network id is 254 characters/],
      [{ "kubedock.network/0": "n1" }, /no kubedock\.hostalias\/N annotation/],
      [{ "kubedock.hostalias/0": "db" }, /no kubedock\.network\/N annotation/],
      [undefined, /no kubedock\.hostalias\/N annotation/],
      [{}, /no kubedock\.hostalias\/N annotation/],
      ["not-a-map", /metadata\.annotations is not a map/],
      [{ ...GOOD, "kubedock.network/0": 7 }, /annotation kubedock\.network\/0 is not a string/],
    ];
    for (const [annotations, message] of cases) {
      const { result, response } = decide(review("CREATE", pod(annotations)));
      assert.equal(result.status, 200);
      assert.equal(response?.allowed, false, JSON.stringify(annotations));
      const status = response?.status as Json;
      assert.equal(status.code, 400);
      assert.match(String(status.message), message);
      assert.match(String(status.message), /^kubedock-dns: pod db1: /);
    }
  });

  await t.step(
    "UPDATE: annotations may not be added, removed or changed; other changes pass",
    () => {
      const old = pod(GOOD);
      const changes: [Json, RegExp][] = [
        [{ ...GOOD, "kubedock.network/0": "n2" }, /kubedock\.network\/0 may not be changed/],
        [{ ...GOOD, "kubedock.network/1": "n2" }, /kubedock\.network\/1 may not be added/],
        [
          { "kubedock.hostalias/0": "db", "kubedock.network/0": "n1" },
          /kubedock\.hostalias\/1 may not be removed/,
        ],
      ];
      for (const [annotations, message] of changes) {
        const { response } = decide(review("UPDATE", pod(annotations), old));
        assert.equal(response?.allowed, false);
        assert.equal((response?.status as Json).code, 403);
        assert.match(String((response?.status as Json).message), message);
      }
      const relabelled = pod({ ...GOOD, "team": "blue" }, { kubedock: "true", team: "blue" });
      const { response } = decide(review("UPDATE", relabelled, old));
      assert.equal(response?.allowed, true);
      assert.equal(response?.patch, undefined);
    },
  );

  await t.step("malformed bodies, other kinds and versions: HTTP 400 with a JSON error", () => {
    const bad: unknown[] = [
      null,
      "text",
      [],
      {},
      { ...review("CREATE", pod(GOOD)), apiVersion: "admission.k8s.io/v1beta1" },
      { ...review("CREATE", pod(GOOD)), kind: "Pod" },
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" },
      {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        request: { kind: { kind: "Pod", version: "v1" } },
      },
      {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        request: {
          uid: "1",
          kind: { group: "apps", version: "v1", kind: "Deployment" },
          operation: "CREATE",
          object: {},
        },
      },
      review("CREATE", undefined),
    ];
    for (const body of bad) {
      const { result } = decide(body);
      assert.equal(result.status, 400, JSON.stringify(body));
      assert.equal(typeof (result.body as Json).error, "string");
    }
  });

  await t.step("alias and network syntax", () => {
    assert.equal(aliasProblem("db_1.frikandel-nl"), undefined);
    assert.equal(aliasProblem("a".repeat(63)), undefined);
    assert.match(aliasProblem("db-")!, /not starting or ending/);
    assert.match(aliasProblem(`${"a.".repeat(127)}ab`)!, /at most 253/);
    assert.equal(networkProblem("5d2c" + "e1".repeat(30)), undefined);
    assert.match(networkProblem("tab\there")!, /whitespace/);
  });
});
