/**
 * `deno task docs`: writes the flag table (from src/config/flag_docs.ts, the source `--help`
 * prints) into the README and docs/flags.md, between `<!-- flags:start -->` and
 * `<!-- flags:end -->`, then formats both. `tests/help_test.ts` fails when they differ.
 *
 * @module
 */

import { flagsTable } from "../src/config/flag_docs.ts";

/** The files that hold the table. */
export const FLAG_TABLE_FILES = ["README.md", "docs/flags.md"];
const START = "<!-- flags:start -->";
const END = "<!-- flags:end -->";

/**
 * `text` with the table between the markers replaced by `table`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withFlagTable } from "./docs.ts";
 * assert.equal(withFlagTable("a\n<!-- flags:start -->\nold\n<!-- flags:end -->\nb", "new"), "a\n<!-- flags:start -->\n\nnew\n\n<!-- flags:end -->\nb");
 * ```
 */
export function withFlagTable(text: string, table: string): string {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`no ${START} … ${END} block`);
  return `${text.slice(0, start + START.length)}\n\n${table}\n\n${text.slice(end)}`;
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname;
  for (const file of FLAG_TABLE_FILES) {
    const path = `${root}${file}`;
    await Deno.writeTextFile(path, withFlagTable(await Deno.readTextFile(path), flagsTable()));
  }
  const fmt = await new Deno.Command("deno", {
    args: ["fmt", ...FLAG_TABLE_FILES],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  Deno.exit(fmt.code);
}
