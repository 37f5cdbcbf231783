/**
 * The house rules of `src/`: no file over 300 lines (a longer one holds more than one concern),
 * no import cycle anywhere, and dependencies that point one way between the parts
 * (`observability/` reads the other parts; nothing it imports comes from `webhook/`).
 */
import assert from "node:assert/strict";
import { importCycles, importGraph } from "./helpers/import_graph.ts";

const SRC = new URL("../src", import.meta.url).pathname;
const MAX_LINES = 300;
/** part → parts it must not import from */
const FORBIDDEN: Record<string, string[]> = { observability: ["webhook"] };

/** Files over the limit, as `path: N lines`. */
export function longFiles(lines: Map<string, number>): string[] {
  return [...lines].filter(([, n]) => n > MAX_LINES).map(([file, n]) =>
    `${file.slice(SRC.length + 1)}: ${n} lines`
  );
}

/** Imports from a part into one it must not depend on, as `from -> to`. */
export function forbiddenImports(graph: Map<string, string[]>): string[] {
  const partOf = (path: string) =>
    path.startsWith(`${SRC}/`) ? path.slice(SRC.length + 1).split("/")[0] : undefined;
  const problems: string[] = [];
  for (const [from, targets] of graph) {
    const banned = FORBIDDEN[partOf(from) ?? ""] ?? [];
    for (const to of targets) {
      if (banned.includes(partOf(to) ?? "")) {
        problems.push(`${from.slice(SRC.length + 1)} -> ${to.slice(SRC.length + 1)}`);
      }
    }
  }
  return problems;
}

Deno.test("src/ keeps its house rules", async (t) => {
  const graph = await importGraph(SRC);
  const lines = new Map<string, number>();
  for (const file of graph.keys()) {
    lines.set(file, (await Deno.readTextFile(file)).trimEnd().split("\n").length);
  }

  await t.step(`no file over ${MAX_LINES} lines`, () => {
    assert.ok(lines.size > 50, "the walk found the source files");
    assert.deepEqual(longFiles(lines), []);
  });

  await t.step("no import cycle", () => {
    assert.deepEqual(importCycles(graph), []);
  });

  await t.step("observability/ imports nothing from webhook/", () => {
    assert.deepEqual(forbiddenImports(graph), []);
  });

  await t.step("each check can fail", () => {
    const long = new Map(lines).set(`${SRC}/dns/chain/hold.ts`, MAX_LINES + 1);
    assert.deepEqual(longFiles(long), [`dns/chain/hold.ts: ${MAX_LINES + 1} lines`]);
    const broken = new Map(graph);
    broken.set(`${SRC}/config/config.ts`, [`${SRC}/config/flag_setters.ts`]);
    broken.set(`${SRC}/config/flag_setters.ts`, [`${SRC}/config/config.ts`]);
    broken.set(`${SRC}/observability/program_metrics.ts`, [`${SRC}/webhook/review.ts`]);
    assert.ok(importCycles(broken).some((c) => c.includes("config/flag_setters.ts")));
    assert.deepEqual(forbiddenImports(broken), [
      "observability/program_metrics.ts -> webhook/review.ts",
    ]);
  });
});
