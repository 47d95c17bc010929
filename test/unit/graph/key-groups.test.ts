import {
  keyGroupForKey,
  keyGroupRangeForSubtask,
  subtaskForKey,
  subtaskForKeyGroup,
} from '../../../runtime/graph/key-groups';
import { murmur3, murmur3Ascii } from '../../../runtime/graph/murmur3';

const bytes = (s: string): Uint8Array => Buffer.from(s, 'utf8');

describe('murmur3 (x86, 32 bit)', () => {
  it('matches the reference vectors', () => {
    expect(murmur3(bytes(''), undefined, 0)).toBe(0);
    expect(murmur3(bytes(''), undefined, 1)).toBe(0x514e28b7);
    expect(murmur3(bytes('hello'))).toBe(0x248bfa47);
    expect(murmur3(bytes('The quick brown fox jumps over the lazy dog'))).toBe(0x2e4ff723);
  });

  it('hashes only the given length of a longer buffer', () => {
    const buffer = Buffer.from('hello world');
    expect(murmur3(buffer, 5)).toBe(murmur3(bytes('hello')));
  });
});

describe('key groups (Flink formula)', () => {
  it('keyGroup = murmur3(serialized key) % maxParallelism', () => {
    expect(keyGroupForKey('hello', 128)).toBe(0x248bfa47 % 128);
    expect(keyGroupForKey('hello', 7)).toBe(0x248bfa47 % 7);
    // non-ASCII strings hash their UTF-8 bytes
    expect(keyGroupForKey('straße', 1000)).toBe(murmur3(bytes('straße')) % 1000);
  });

  it('hashes numbers, arrays and objects by their serialized form, stably', () => {
    for (const key of [42, -1.5, [1, 'a'], { a: 1, b: [2] }, true]) {
      expect(keyGroupForKey(key, 128)).toBe(keyGroupForKey(structuredClone(key), 128));
    }
    expect(keyGroupForKey(1, 4096)).not.toBe(keyGroupForKey('1', 4096));
  });

  it('subtask = floor(keyGroup * parallelism / maxParallelism)', () => {
    expect(subtaskForKeyGroup(0, 4, 128)).toBe(0);
    expect(subtaskForKeyGroup(31, 4, 128)).toBe(0);
    expect(subtaskForKeyGroup(32, 4, 128)).toBe(1);
    expect(subtaskForKeyGroup(127, 4, 128)).toBe(3);
    expect(subtaskForKeyGroup(42, 3, 128)).toBe(Math.floor((42 * 3) / 128));
  });

  it('key group ranges partition all groups and agree with the subtask formula', () => {
    for (const maxParallelism of [1, 7, 128, 1000]) {
      for (const parallelism of [1, 2, 3, 5, 7].filter((p) => p <= maxParallelism)) {
        let expectedStart = 0;
        for (let subtask = 0; subtask < parallelism; subtask++) {
          const range = keyGroupRangeForSubtask(maxParallelism, parallelism, subtask);
          expect(range.start).toBe(expectedStart);
          for (let kg = range.start; kg <= range.end; kg++) {
            expect(subtaskForKeyGroup(kg, parallelism, maxParallelism)).toBe(subtask);
          }
          expectedStart = range.end + 1;
        }
        expect(expectedStart).toBe(maxParallelism);
      }
    }
  });

  it('spreads keys over subtasks', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[subtaskForKey(`key-${i}`, 4, 128)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(700);
  });
});

describe('murmur3 of ASCII strings without encoding', () => {
  it('equals the hash of the UTF-8 bytes for every length and falls back for non-ASCII', () => {
    for (const s of [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      'hello',
      'The quick brown fox jumps over the lazy dog',
      'x'.repeat(1001),
    ]) {
      expect(murmur3Ascii(s)).toBe(murmur3(bytes(s)));
    }
    expect(murmur3Ascii('straße')).toBe(-1);
    expect(murmur3Ascii('abc€')).toBe(-1);
  });
});
