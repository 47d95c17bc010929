/** MurmurHash3 x86 32-bit (Austin Appleby's public-domain algorithm). */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixH(h: number, k: number): number {
  h ^= mixK(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of the first `length` bytes. */
export function murmur3(bytes: Uint8Array, length = bytes.length, seed = 0): number {
  let h = seed >>> 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    h = mixH(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  }
  let k = 0;
  switch (length & 3) {
    case 3:
      k ^= bytes[blocks + 2]! << 16;
    // falls through
    case 2:
      k ^= bytes[blocks + 1]! << 8;
    // falls through
    case 1:
      k ^= bytes[blocks]!;
      h ^= mixK(k);
  }
  return finish(h, length);
}

/**
 * Hash of an ASCII string's bytes without encoding it first (the hot path of hash
 * partitioning on string keys). Returns -1 when the string is not pure ASCII.
 */
export function murmur3Ascii(s: string, seed = 0): number {
  const length = s.length;
  let h = seed >>> 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    const a = s.charCodeAt(i);
    const b = s.charCodeAt(i + 1);
    const c = s.charCodeAt(i + 2);
    const d = s.charCodeAt(i + 3);
    if ((a | b | c | d) > 0x7f) return -1;
    h = mixH(h, a | (b << 8) | (c << 16) | (d << 24));
  }
  let k = 0;
  for (let i = length - 1; i >= blocks; i--) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    k = (k << 8) | c;
  }
  if (length & 3) h ^= mixK(k);
  return finish(h, length);
}
