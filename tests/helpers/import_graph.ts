/**
 * The graph of relative imports between the source files under a folder, and the cycles in it:
 * what the layout tests check.
 *
 * @module
 */

/**
 * Every relative import of a file's code, as absolute paths (type-only imports too; the
 * `@example` blocks of its documentation are programs of their own, not part of the module).
 */
export async function importsOf(file: string): Promise<string[]> {
  const code = (await Deno.readTextFile(file)).split("\n").filter((line) => !/^\s*\*/.test(line))
    .join("\n");
  const dir = file.slice(0, file.lastIndexOf("/"));
  return [...code.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+\.ts)"/g)].map((m) =>
    new URL(m[1], `file://${dir}/`).pathname
  );
}

/** Every `.ts` file under `dir` (absolute path) with its relative imports. */
export async function importGraph(dir: string): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  const walk = async (folder: string) => {
    for await (const entry of Deno.readDir(folder)) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) graph.set(path, await importsOf(path));
    }
  };
  await walk(dir);
  return graph;
}

/** Each import cycle found, as `cycle: a -> b -> a` (paths as in the graph). */
export function importCycles(graph: Map<string, string[]>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "visiting") {
      cycles.push(`cycle: ${[...path.slice(path.indexOf(file)), file].join(" -> ")}`);
      return;
    }
    state.set(file, "visiting");
    for (const to of graph.get(file) ?? []) if (graph.has(to)) visit(to, [...path, file]);
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file, []);
  return cycles;
}
