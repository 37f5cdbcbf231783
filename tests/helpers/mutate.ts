/** Random and mutated DNS messages for robustness tests, reproducible from a seed. */

/** A deterministic pseudo-random generator, so a failure can be replayed. */
export function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

/** One mutation of `base`: truncated, bytes flipped, QR set, other opcode, bad counts, bad labels, compression loops, or garbage. */
export function mutate(base: Uint8Array, rnd: () => number): Uint8Array {
  const kind = Math.floor(rnd() * 8);
  const bytes = base.slice();
  switch (kind) {
    case 0: // truncated anywhere, headers included
      return bytes.slice(0, Math.floor(rnd() * bytes.length));
    case 1: // a few random bytes flipped
      for (let i = 0; i < 3; i++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
      return bytes;
    case 2: // QR=1
      bytes[2] |= 0x80;
      return bytes;
    case 3: // another opcode
      bytes[2] = (bytes[2] & 0x87) | ((1 + Math.floor(rnd() * 15)) << 3);
      return bytes;
    case 4: // QDCOUNT 0 or 2
      bytes[5] = rnd() < 0.5 ? 0 : 2;
      return bytes;
    case 5: // bad label length
      bytes[12] = 64 + Math.floor(rnd() * 192);
      return bytes;
    case 6: { // compression loop in the question, or in an additional record
      if (rnd() < 0.5) {
        bytes.set([0xc0, 12], 12);
        return bytes;
      }
      const loop = new Uint8Array(bytes.length + 13);
      loop.set(bytes);
      loop[11] = 1; // ARCOUNT 1
      loop.set([0xc0, bytes.length, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0, 0], bytes.length);
      return loop;
    }
    default: // random garbage
      return Uint8Array.from({ length: Math.floor(rnd() * 600) }, () => Math.floor(rnd() * 256));
  }
}
