/**
 * DNS over TCP framing: each message is preceded by its length as two bytes (RFC 1035 4.2.2).
 *
 * @module
 */

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
 * import { FrameReader } from "./tcp_framing.ts";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 1053 });
 * const reader = new FrameReader(conn);
 * const message = await reader.next(); // null at the end of the stream
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
 * import { frame } from "./tcp_framing.ts";
 * frame(new Uint8Array([1, 2, 3])); // Uint8Array [0, 3, 1, 2, 3]
 * ```
 */
export function frame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(message.length + 2);
  out[0] = message.length >> 8;
  out[1] = message.length & 255;
  out.set(message, 2);
  return out;
}

/**
 * Writes all of `bytes` to `writer`.
 *
 * @example
 * ```ts
 * import { frame, writeAll } from "./tcp_framing.ts";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 1053 });
 * await writeAll(conn, frame(new Uint8Array([0, 1])));
 * ```
 */
export async function writeAll(writer: ByteWriter, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await writer.write(bytes.subarray(written));
}
