/**
 * `src/dns/` shows the chain: the wire format, the upstreams, the handlers of the chain and the
 * sockets, each a folder with a `mod.ts` that says its purpose, importing only from layers below
 * it (never from the server files above it), with no import cycle.
 */
import assert from "node:assert/strict";
import { importCycles, importGraph } from "./helpers/import_graph.ts";

const DNS = new URL("../src/dns", import.meta.url).pathname;
/** The layers, lowest first: a file may import from its own folder and from folders before it. */
const LAYERS = ["wire", "upstream", "chain", "sockets"];

/** The imports that break the layering, as `from -> to` lines; and the cycles found. */
export function layoutViolations(graph: Map<string, string[]>): string[] {
  const problems: string[] = [];
  const layerOf = (path: string) => {
    const rest = path.startsWith(`${DNS}/`) ? path.slice(DNS.length + 1) : undefined;
    if (rest === undefined) return undefined; // outside src/dns
    return rest.includes("/") ? rest.split("/")[0] : "top";
  };
  for (const [from, targets] of graph) {
    const own = layerOf(from);
    if (own === undefined || own === "top") continue;
    for (const to of targets) {
      const layer = layerOf(to);
      if (layer === undefined || layer === own) continue;
      if (layer === "top" || LAYERS.indexOf(layer) > LAYERS.indexOf(own)) {
        problems.push(`${from.slice(DNS.length + 1)} -> ${to.slice(DNS.length + 1)}`);
      }
    }
  }
  problems.push(...importCycles(graph));
  return problems;
}

Deno.test("src/dns is layered: wire ← upstream ← chain ← sockets ← server", async (t) => {
  const graph = await importGraph(DNS);

  await t.step("the folders are the layers, each with a mod.ts that says its purpose", async () => {
    const folders: string[] = [];
    for await (const entry of Deno.readDir(DNS)) if (entry.isDirectory) folders.push(entry.name);
    assert.deepEqual(folders.sort(), [...LAYERS].sort());
    for (const folder of LAYERS) {
      const mod = await Deno.readTextFile(`${DNS}/${folder}/mod.ts`);
      assert.match(
        mod,
        /^\/\*\*\n \* \S.*\n[\s\S]*@module/,
        `${folder}/mod.ts opens with its purpose`,
      );
    }
    const top = [...graph.keys()].filter((f) => !f.slice(DNS.length + 1).includes("/"));
    assert.deepEqual(top.map((f) => f.slice(DNS.length + 1)).sort(), [
      "mod.ts",
      "server.ts",
      "state.ts",
    ]);
  });

  await t.step("imports go only downward, and there is no cycle", () => {
    assert.deepEqual(layoutViolations(graph), []);
  });

  await t.step("the check can fail", () => {
    const broken = new Map(graph);
    broken.set(`${DNS}/wire/message.ts`, [`${DNS}/chain/handler.ts`]); // upward
    broken.set(`${DNS}/chain/hold.ts`, [`${DNS}/server.ts`]); // from the server above
    broken.set(`${DNS}/sockets/a.ts`, [`${DNS}/sockets/b.ts`]);
    broken.set(`${DNS}/sockets/b.ts`, [`${DNS}/sockets/a.ts`]); // a cycle
    const problems = layoutViolations(broken);
    assert.ok(problems.includes("wire/message.ts -> chain/handler.ts"), problems.join("\n"));
    assert.ok(problems.includes("chain/hold.ts -> server.ts"), problems.join("\n"));
    assert.ok(problems.some((p) => p.startsWith("cycle:") && p.includes("sockets/a.ts")));
  });
});
