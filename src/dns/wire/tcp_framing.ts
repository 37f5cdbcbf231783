/**
 * DNS over TCP framing: each message is preceded by its length as two bytes (RFC 1035 4.2.2).
 *
 * @module
 */

import { writeU16 } from "./message.ts";

/** Anything with a `read` like `Deno.Conn`'s. */
export interface ByteReader {
  read(buffer: Uint8Array): Promise<number | null>;
}

/** Anything with a `write` like `Deno.Conn`'s. */
export interface ByteWriter {
  write(bytes: Uint8Array): Promise<number>;
}

/**
 * Reads length-prefixed messages from a byte stream, several per stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameReader } from "./tcp_framing.ts";
 * const stream = [new Uint8Array([0, 2, 7, 8, 0]), new Uint8Array([1, 9])]; // two messages, split anyhow
 * const reader = new FrameReader({
 *   read: (buffer) => {
 *     const chunk = stream.shift();
 *     if (!chunk) return Promise.resolve(null);
 *     buffer.set(chunk);
 *     return Promise.resolve(chunk.length);
 *   },
 * });
 * assert.deepEqual(await reader.next(), new Uint8Array([7, 8]));
 * assert.deepEqual(await reader.next(), new Uint8Array([9]));
 * assert.equal(await reader.next(), null); // the end of the stream
 * ```
 */
export class FrameReader {
  #source: ByteReader;
  #buffer: Uint8Array;
  #start = 0;
  #end = 0;

  /** `bufferSize` is the first buffer's size; it grows for a longer message. */
  constructor(source: ByteReader, bufferSize = 4096) {
    this.#source = source;
    this.#buffer = new Uint8Array(bufferSize);
  }

  /** The next whole message (a fresh copy), or `null` when the stream ends cleanly between messages. */
  async next(): Promise<Uint8Array | null> {
    if (!(await this.#fill(2))) return null;
    const length = (this.#buffer[this.#start] << 8) | this.#buffer[this.#start + 1];
    if (!(await this.#fill(2 + length))) {
      throw new Deno.errors.UnexpectedEof("stream ended inside a message");
    }
    const message = this.#buffer.slice(this.#start + 2, this.#start + 2 + length);
    this.#start += 2 + length;
    return message;
  }

  async #fill(wanted: number): Promise<boolean> {
    while (this.#end - this.#start < wanted) {
      if (this.#start + wanted > this.#buffer.length) {
        const grown = new Uint8Array(Math.max(this.#buffer.length, wanted * 2));
        grown.set(this.#buffer.subarray(this.#start, this.#end));
        this.#end -= this.#start;
        this.#start = 0;
        this.#buffer = grown;
      }
      const read = await this.#source.read(this.#buffer.subarray(this.#end));
      if (read === null) {
        if (this.#end === this.#start) return false;
        throw new Deno.errors.UnexpectedEof("stream ended inside a message");
      }
      this.#end += read;
    }
    return true;
  }
}

/**
 * Prefixes a message with its two-byte length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { frame } from "./tcp_framing.ts";
 * assert.deepEqual(frame(new Uint8Array([1, 2, 3])), new Uint8Array([0, 3, 1, 2, 3]));
 * ```
 */
export function frame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(message.length + 2);
  writeU16(out, 0, message.length);
  out.set(message, 2);
  return out;
}

/**
 * Writes all of `bytes` to `writer`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { frame, writeAll } from "./tcp_framing.ts";
 * const written: number[] = [];
 * const slow = { write: (bytes: Uint8Array) => (written.push(bytes[0]), Promise.resolve(1)) }; // one byte at a time
 * await writeAll(slow, frame(new Uint8Array([0, 1])));
 * assert.deepEqual(written, [0, 2, 0, 1]);
 * ```
 */
export async function writeAll(writer: ByteWriter, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await writer.write(bytes.subarray(written));
}
