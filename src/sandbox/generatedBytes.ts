// Large bodies for download tests and the benchmark: N bytes generated as they are sent (never held whole),
// the same bytes for the same seed, so a client can check what it saved against generatedBytes() in-process.

import { Readable } from 'node:stream';

const BLOCK_BYTES = 64 * 1024;

/** One 64 KiB block of pseudo-random bytes (xorshift32 from the seed): incompressible, so no layer can cheat. */
function seededBlock(seed: number): Buffer {
  const block = Buffer.allocUnsafe(BLOCK_BYTES);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < BLOCK_BYTES; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block.writeUInt32LE(x >>> 0, i);
  }
  return block;
}

/**
 * `size` bytes: the seed's block repeated, each copy starting with its own index (a dropped, repeated or reordered
 * chunk changes the hash). `cutAfter`: the stream fails after that many bytes (a server dying mid-download).
 */
export function generatedBytes(size: number, seed = 1, cutAfter?: number): Readable {
  const block = seededBlock(seed);
  let sent = 0;
  let index = 0;
  return new Readable({
    highWaterMark: BLOCK_BYTES * 4,
    read() {
      const limit = cutAfter === undefined ? size : Math.min(size, cutAfter);
      if (sent >= limit) {
        if (sent < size) this.destroy(new Error('cut by the sandbox (cutAfter)'));
        else this.push(null);
        return;
      }
      const n = Math.min(BLOCK_BYTES, limit - sent);
      const chunk = Buffer.allocUnsafe(n);
      block.copy(chunk, 0, 0, n);
      if (n >= 8) chunk.writeBigUInt64LE(BigInt(index), 0);
      index++;
      sent += n;
      this.push(chunk);
    },
  });
}
