import assert from "node:assert/strict";
import { heldAlias, isInternal, nameEncodingProblem } from "../src/dns/wire/names.ts";

Deno.test("query names", async (t) => {
  await t.step("internal names", () => {
    assert.equal(isInternal("db", []), true);
    assert.equal(isInternal("kafka.test", ["test"]), true);
    assert.equal(isInternal("kafka.latest", ["test"]), false);
    assert.equal(isInternal("example.com", []), false);
  });

  await t.step("only the search-suffixed form of an internal alias is held", () => {
    const rules = { searchSuffix: "ci.svc.cluster.local", internalDomains: ["test"] };
    assert.equal(heldAlias("db.ci.svc.cluster.local", rules), "db");
    assert.equal(heldAlias("kafka.test.ci.svc.cluster.local", rules), "kafka.test");
    assert.equal(heldAlias("db", rules), undefined);
    assert.equal(heldAlias("db.svc.cluster.local", rules), undefined);
    assert.equal(heldAlias("ci.svc.cluster.local", rules), undefined);
  });

  await t.step("names that cannot be encoded", () => {
    assert.equal(nameEncodingProblem("frikandel.nl"), undefined);
    assert.equal(nameEncodingProblem("under_score.x-y"), undefined);
    assert.equal(nameEncodingProblem("a".repeat(63)), undefined);
    assert.equal(nameEncodingProblem("a".repeat(64)), "label over 63 octets");
    assert.equal(
      nameEncodingProblem("é".repeat(32)),
      "label over 63 octets",
      "octets, not characters",
    );
    assert.equal(nameEncodingProblem(".db"), "empty label");
    assert.equal(nameEncodingProblem("db."), "empty label");
    assert.equal(nameEncodingProblem(""), "empty name");
    assert.equal(
      nameEncodingProblem(Array(4).fill("a".repeat(63)).join(".")),
      "name over 253 characters",
    );
  });
});
