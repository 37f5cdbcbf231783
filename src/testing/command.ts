/**
 * Running a command to its end for what it prints, in tests and benchmarks.
 *
 * @module
 */

/**
 * Runs `command` with `args` and returns its stdout; when it exits non-zero, throws an Error
 * naming the command with its exit code and stderr.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandOutput } from "./command.ts";
 * assert.match(await commandOutput("deno", ["--version"]), /^deno \d/);
 * await assert.rejects(commandOutput("deno", ["no-such-subcommand"]), /deno no-such-subcommand failed/);
 * ```
 */
export async function commandOutput(
  command: string,
  args: string[],
  options: Pick<Deno.CommandOptions, "cwd" | "env"> = {},
): Promise<string> {
  const done = await new Deno.Command(command, {
    ...options,
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  if (!done.success) {
    throw new Error(`${command} ${args.join(" ")} failed (${done.code}): ${text(done.stderr)}`);
  }
  return text(done.stdout);
}
