/**
 * `src/dns/` shows the chain: the wire format, the upstreams, the handlers of the chain and the
 * sockets, each a folder with a `mod.ts` that says its purpose, importing only from layers below
 * it (never from the server files above it), with no import cycle.
 */
import assert from "node:assert/strict";

const DNS = new URL("../src/dns", import.meta.url).pathname;
/** The layers, lowest first: a file may import from its own folder and from folders before it. */
const LAYERS = ["wire", "upstream", "chain", "sockets"];

/**
 * Every relative import of a file's code, as absolute paths (type-only imports too; the
 * `@example` blocks of its documentation are programs of their own, not part of the module).
 */
async function importsOf(file: string): Promise<string[]> {
  const code = (await Deno.readTextFile(file)).split("\n").filter((line) => !/^\s*\*/.test(line))
    .join("\n");
  const dir = file.slice(0, file.lastIndexOf("/"));
  return [...code.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+\.ts)"/g)].map((m) =>
    new URL(m[1], `file://${dir}/`).pathname
  );
}

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
  const state = new Map<string, "visiting" | "done">();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "visiting") {
      problems.push(`cycle: ${[...path.slice(path.indexOf(file)), file].join(" -> ")}`);
      return;
    }
    state.set(file, "visiting");
    for (const to of graph.get(file) ?? []) if (graph.has(to)) visit(to, [...path, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
  return problems;
}

async function dnsGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) {
        graph.set(path, await importsOf(path));
      }
    }
  };
  await walk(DNS);
  return graph;
}

Deno.test("src/dns is layered: wire ← upstream ← chain ← sockets ← server", async (t) => {
  const graph = await dnsGraph();

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
