/**
 * The resolvers of the resolver matrix: how to build them, ask them and read what they printed.
 * glibc (getent), musl (static C), Go's own resolver, Node's dns.lookup and dns.resolve4 (c-ares),
 * busybox nslookup and Java's InetAddress, each run in a pod's network namespace.
 */
import type { Run, TestNode } from "./netns.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

export type Mode = "lookup" | "reverse";

/** One resolver: how to ask it, and how to read what it printed. */
export interface Resolver {
  name: string;
  argv(mode: Mode, arg: string): [string, string[]];
  parse?(mode: Mode, stdout: string): string[];
  /** False for c-ares' resolve4, which asks the bare name only (no search list). */
  searches: boolean;
}

const lines = (text: string) => text.split("\n").map((l) => l.trim()).filter(Boolean);

export function resolvers(bin: string): Resolver[] {
  const mjs = `${ROOT}tests/fixtures/resolvers/resolve.mjs`;
  return [
    {
      name: "glibc getent",
      argv: (mode, arg) => ["getent", [mode === "lookup" ? "ahosts" : "hosts", arg]],
      parse: (mode, out) =>
        mode === "lookup"
          ? [...new Set(lines(out).map((l) => l.split(/\s+/)[0]))]
          : lines(out).flatMap((l) => l.split(/\s+/).slice(1)),
      searches: true,
    },
    { name: "musl", argv: (mode, arg) => [`${bin}/resolve-musl`, [mode, arg]], searches: true },
    { name: "Go (pure)", argv: (mode, arg) => [`${bin}/resolve-go`, [mode, arg]], searches: true },
    {
      name: "Node dns.lookup",
      argv: (mode, arg) => ["node", [mjs, mode === "lookup" ? "lookup" : "reverse-lookup", arg]],
      searches: true,
    },
    {
      name: "Node dns.resolve4 (c-ares)",
      argv: (mode, arg) => ["node", [mjs, mode === "lookup" ? "resolve4" : "reverse-resolve", arg]],
      searches: false,
    },
    {
      name: "busybox nslookup",
      argv: (_, arg) => ["busybox", ["nslookup", arg]],
      parse: (mode, out) => {
        if (mode === "reverse") {
          return lines(out).flatMap((l) => /name = (\S+?)\.?$/.exec(l)?.[1] ?? []);
        }
        const found: string[] = [];
        let inAnswer = false;
        for (const line of lines(out)) {
          if (line.startsWith("Name:")) inAnswer = true;
          const address = /^Address:\s*(\S+)$/.exec(line)?.[1];
          if (inAnswer && address) found.push(address);
        }
        return [...new Set(found)];
      },
      searches: true,
    },
    {
      name: "Java InetAddress",
      argv: (mode, arg) => [
        "java",
        ["-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp", bin, "Resolve", mode, arg],
      ],
      searches: true,
    },
  ];
}

/** What one resolver said, with the time it took. */
export interface Answer {
  results: string[];
  ms: number;
  /** `performance.now()` when it answered. */
  endedAt: number;
  run: Run;
}

export async function ask(node: TestNode, ns: string, resolver: Resolver, mode: Mode, arg: string) {
  const [command, args] = resolver.argv(mode, arg);
  const run = await node.exec(ns, command, args);
  const results = run.code === 0 || resolver.parse
    ? (resolver.parse?.(mode, run.stdout) ?? lines(run.stdout)).map((r) => r.replace(/\.$/, ""))
    : [];
  return { results, ms: run.elapsedMs, endedAt: performance.now(), run } satisfies Answer;
}

export async function build(dir: string): Promise<void> {
  const source = `${ROOT}tests/fixtures/resolvers`;
  const steps: [string, string[], Record<string, string>?][] = [
    ["musl-gcc", ["-static", "-O2", "-o", `${dir}/resolve-musl`, `${source}/resolve.c`]],
    ["go", ["build", "-o", `${dir}/resolve-go`, `${source}/resolve.go`], {
      CGO_ENABLED: "0",
      GOCACHE: "/tmp/kubedock-dns-gocache",
      GOPATH: `${dir}/gopath`,
      GOFLAGS: "-mod=mod",
      GO111MODULE: "off",
      HOME: dir,
    }],
    ["javac", ["-d", dir, `${source}/Resolve.java`]],
  ];
  await Promise.all(steps.map(async ([command, args, env]) => {
    const output = await new Deno.Command(command, { args, env, stdout: "piped", stderr: "piped" })
      .output()
      .catch((error) => {
        throw new Error(`${command} is needed for the resolver matrix (.ci/run installs it)`, {
          cause: error,
        });
      });
    if (!output.success) {
      throw new Error(`${command} failed: ${new TextDecoder().decode(output.stderr)}`);
    }
  }));
}
