/**
 * The line protocol between a test and an agent it runs inside a network namespace (the resolver
 * matrix's node, the OCI runtime test's node): the agent says `{"ready":true}` once set up, then
 * answers each JSON command line on its stdin with one JSON line on its stdout (`ok` true, or
 * false with `error`). Closing its stdin ends it.
 */

/**
 * The agent's side: says ready, then answers every command with `perform` until stdin closes;
 * a command that throws is answered `{ ok: false, error }`.
 */
export async function serveCommands<C>(perform: (command: C) => Promise<unknown>): Promise<void> {
  const encoder = new TextEncoder();
  const say = (answer: unknown) => Deno.stdout.write(encoder.encode(`${JSON.stringify(answer)}\n`));
  await say({ ready: true });
  let buffered = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      await say(
        await perform(JSON.parse(line)).catch((error) => ({ ok: false, error: String(error) })),
      );
    }
  }
}

/** The test's side of a running agent. */
export interface AgentClient {
  /** Resolves once the agent said it is ready (rejects with its stderr if it ended first). */
  ready: Promise<Record<string, unknown>>;
  /** Sends one command and waits for its answer; a failed one rejects with the agent's stderr. */
  send(command: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** What the agent wrote to stderr so far. */
  logs(): string;
  /** Closes its stdin and waits for it to end, at most `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
}

/** Talks to `child` (spawned with stdin, stdout and stderr piped) in the line protocol. */
export function agentClient(child: Deno.ChildProcess): AgentClient {
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let logs = "";
  (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) logs += chunk;
  })();
  let buffered = "";
  const nextLine = async (): Promise<Record<string, unknown>> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the agent ended:\n${logs}`);
      buffered += value;
    }
    const newline = buffered.indexOf("\n");
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    return JSON.parse(line);
  };
  let queue = Promise.resolve<unknown>(undefined);
  return {
    ready: nextLine(),
    logs: () => logs,
    send(command) {
      const answer = queue.then(async () => {
        await writer.write(new TextEncoder().encode(`${JSON.stringify(command)}\n`));
        const reply = await nextLine();
        if (!reply.ok) throw new Error(`agent: ${reply.error}\n${logs}`);
        return reply;
      });
      queue = answer.catch(() => {});
      return answer;
    },
    async close(timeoutMs = 10_000) {
      await writer.close().catch(() => {});
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        child.status,
        new Promise((resolve) => timer = setTimeout(resolve, timeoutMs)),
      ]);
      clearTimeout(timer);
    },
  };
}
