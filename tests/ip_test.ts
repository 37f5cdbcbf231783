import assert from "node:assert/strict";
import { canonicalIp } from "../src/common/ip.ts";

Deno.test("IP addresses", async (t) => {
  await t.step("IP canonical forms", () => {
    assert.equal(canonicalIp("FD00:0:0:0:0:0:0:0012"), "fd00::12");
    assert.equal(canonicalIp("::ffff:127.0.0.2"), "127.0.0.2");
    assert.equal(canonicalIp("1:0:0:1:0:0:0:1"), "1:0:0:1::1");
    assert.equal(canonicalIp("::"), "::");
    assert.equal(canonicalIp("1::2::3"), undefined);
    assert.equal(canonicalIp("256.0.0.1"), undefined);
  });
});
