/**
 * The samples of `perf script -F comm,tid,ip,sym,dso` (a whole process under Linux perf, with
 * call stacks), sorted into the kinds of work a DNS query costs: the kernel's side of each socket
 * call (a loopback send delivers the datagram to its receiver inside the sender's system call),
 * page faults, the C library, JS (V8's compiled code, named through `--perf-basic-prof`'s map),
 * the rest of the main thread (Deno's runtime and ops, V8's own code: the event loop, promises,
 * the garbage collector's pauses), and V8's worker threads (the collector's parallel and
 * concurrent work). `--cpu-prof` sees only the JS thread's JS; this sees all of it.
 *
 * @module
 */

/** A kind of work, in the order the report lists them. */
export const PERF_KINDS = [
  "kernel: sendto, with loopback delivery",
  "kernel: recvfrom",
  "kernel: page faults",
  "kernel: other",
  "C library (malloc, syscall stubs)",
  "JS (V8's compiled code)",
  "runtime on the JS thread (Deno, V8, GC)",
  "V8 worker threads (GC)",
  "other threads",
] as const;

/** One of {@linkcode PERF_KINDS}. */
export type PerfKind = typeof PERF_KINDS[number];

/** What the kernel part of a stack was doing, from the frames nearest its user-space caller. */
function kernelKind(frames: string[]): PerfKind {
  for (const frame of frames) {
    if (frame.includes("asm_exc_page_fault")) return "kernel: page faults";
    if (/__x64_sys_sendto|__sys_sendto/.test(frame)) {
      return "kernel: sendto, with loopback delivery";
    }
    if (/__x64_sys_recvfrom|__sys_recvfrom/.test(frame)) return "kernel: recvfrom";
  }
  return "kernel: other";
}

/** The kind of one sample: its thread's name and its frames, leaf first. */
function sampleKind(thread: string, frames: string[]): PerfKind {
  if (thread.startsWith("V8 ")) return "V8 worker threads (GC)";
  if (thread !== "deno") return "other threads";
  const leaf = frames[0] ?? "";
  if (leaf.includes("[kernel.kallsyms]")) return kernelKind(frames);
  if (/libc\.so/.test(leaf)) return "C library (malloc, syscall stubs)";
  if (/ JS:|\[JIT\]|\/tmp\/perf-\d+\.map/.test(leaf)) return "JS (V8's compiled code)";
  return "runtime on the JS thread (Deno, V8, GC)";
}

/**
 * Counts of samples by kind in the text of `perf script -F comm,tid,ip,sym,dso` (each sample a
 * header line `COMM TID`, then one indented line per frame, leaf first, then a blank line).
 * A process's main thread is named `deno`; V8's workers `V8 DefaultWorke...`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countPerfSamples } from "./perf_samples.ts";
 * const text = [
 *   "deno 101",
 *   "\tffffffff81000000 skb_set_owner_w+0x1 ([kernel.kallsyms])",
 *   "\tffffffff81000100 __x64_sys_sendto+0x2 ([kernel.kallsyms])",
 *   "\t7f0000001000 __libc_sendto+0x3 (/usr/lib/x86_64-linux-gnu/libc.so.6)",
 *   "",
 *   "deno 101",
 *   "\t7f1000000000 JS:*serveUdp file:///src/dns/sockets/udp_server.ts:27:35 (/tmp/perf-101.map)",
 *   "",
 *   "V8 DefaultWorke 103",
 *   "\t5500000000 [unknown] (/usr/bin/deno)",
 *   "",
 * ].join("\n");
 * const counts = countPerfSamples(text);
 * assert.equal(counts.get("kernel: sendto, with loopback delivery"), 1);
 * assert.equal(counts.get("JS (V8's compiled code)"), 1);
 * assert.equal(counts.get("V8 worker threads (GC)"), 1);
 * ```
 */
export function countPerfSamples(text: string): Map<PerfKind, number> {
  const counts = new Map<PerfKind, number>();
  let thread: string | undefined;
  let frames: string[] = [];
  const close = () => {
    if (thread !== undefined) {
      const kind = sampleKind(thread, frames);
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    thread = undefined;
    frames = [];
  };
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      close();
    } else if (/^\s/.test(line)) {
      frames.push(line.trim());
    } else {
      close();
      thread = line.trim().replace(/\s+\d+$/, ""); // the name, without its thread id
    }
  }
  close();
  return counts;
}
