/** Rough size in bytes of a structured-clone value: strings by length, containers recursively. */
export function approxBytes(value: unknown, depth = 0): number {
  switch (typeof value) {
    case 'string':
      return value.length + 8;
    case 'object': {
      if (value === null || depth > 8) return 8;
      if (ArrayBuffer.isView(value)) return value.byteLength + 8;
      let sum = 16;
      if (Array.isArray(value)) for (const v of value) sum += approxBytes(v, depth + 1);
      else for (const [k, v] of Object.entries(value)) sum += k.length + approxBytes(v, depth + 1);
      return sum;
    }
    default:
      return 8;
  }
}
