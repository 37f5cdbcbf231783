/** Running the real `dig` and reading its answer. */

/** What dig printed, parsed. */
export interface DigResult {
  status: string;
  flags: string[];
  answers: { name: string; ttl: number; type: string; data: string }[];
  /** The raw output, for assertion messages. */
  output: string;
  /** Wall time of the whole dig run, in ms. */
  elapsedMs: number;
}

/** Options of one dig run. */
export interface DigOptions {
  server: { hostname: string; port: number };
  /** Source address of the query (`dig -b`). */
  source?: string;
  type?: string;
  /** Extra dig options such as `+tcp`, `+noedns`. */
  extra?: string[];
  /** Seconds dig waits for an answer (one try). */
  timeSeconds?: number;
  /** A network namespace to run dig in (`ip netns exec`), as a pod would ask. */
  netns?: string;
}

/**
 * Runs `dig` once for `name` and parses status, flags and answers.
 */
export async function dig(name: string, options: DigOptions): Promise<DigResult> {
  const args = [
    ...(options.source ? ["-b", options.source] : []),
    `@${options.server.hostname}`,
    "-p",
    String(options.server.port),
    name,
    options.type ?? "A",
    "+tries=1",
    `+time=${options.timeSeconds ?? 5}`,
    "+nosearch",
    "+noall",
    "+comments",
    "+answer",
    ...(options.extra ?? []),
  ];
  const started = performance.now();
  const inNamespace = options.netns ? ["netns", "exec", options.netns, "dig"] : [];
  const { stdout, stderr } = await new Deno.Command(options.netns ? "ip" : "dig", {
    args: [...inNamespace, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const elapsedMs = performance.now() - started;
  const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  const status = /status: ([A-Z]+)/.exec(output)?.[1] ?? "NO-ANSWER";
  const flags = /;; flags:([^;]*);/.exec(output)?.[1].trim().split(/\s+/) ?? [];
  const answers = output.split("\n")
    .filter((line) => line && !line.startsWith(";"))
    .map((line) => line.split(/\s+/))
    .filter((fields) => fields.length >= 5)
    .map(([name, ttl, , type, ...data]) => ({
      name,
      ttl: Number(ttl),
      type,
      data: data.join(" "),
    }));
  return { status, flags, answers, output, elapsedMs };
}

/** The answer data of one type, sorted. */
export function answerData(result: DigResult, type: string): string[] {
  return result.answers.filter((a) => a.type === type).map((a) => a.data).sort();
}
