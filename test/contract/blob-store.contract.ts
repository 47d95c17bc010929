import { createHash, randomBytes } from 'node:crypto';
import { BadRequestError, InvalidBlobKeyError, NotFoundError, SluiceError } from '../../runtime/errors';
import type { BlobStore } from '../../runtime/storage/blob-store';

/**
 * The behaviour every `BlobStore` adapter must share (docs/architecture.md §10: one contract suite per port).
 * `factory` returns a fresh, empty store for each test (a new directory, a new bucket prefix);
 * the suite closes it afterwards.
 */
export function describeBlobStoreContract(name: string, factory: () => BlobStore | Promise<BlobStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;

    beforeEach(async () => {
      store = await factory();
    });

    afterEach(async () => {
      await store.close();
    });

    describe('put and get', () => {
      it('round-trips binary bodies byte for byte', async () => {
        const body = new Uint8Array(256).map((_, i) => i);
        await store.put('bin/all-bytes', body);
        const got = await store.get('bin/all-bytes');
        expect(got).toBeInstanceOf(Uint8Array);
        expectSameBytes(got, body);
      });

      it('stores strings as UTF-8', async () => {
        await store.put('text/greeting.txt', 'héllo ✓ wörld');
        expect(Buffer.from(await store.get('text/greeting.txt')).toString('utf8')).toBe('héllo ✓ wörld');
      });

      it('stores an empty body', async () => {
        await store.put('empty', new Uint8Array(0));
        expect((await store.get('empty')).byteLength).toBe(0);
        expect(await store.exists('empty')).toBe(true);
      });

      it('overwrites an existing object', async () => {
        await store.put('over/write', 'first version, longer than the second');
        await store.put('over/write', 'second');
        expect(Buffer.from(await store.get('over/write')).toString()).toBe('second');
        expect(await store.list('over')).toEqual(['over/write']);
      });

      it('throws NotFoundError for a missing object', async () => {
        await store.put('present', 'x');
        const err = await store.get('absent/key').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NotFoundError);
        expect((err as SluiceError).code).toBe('SLUICE_NOT_FOUND');
        await expect(store.get('present/below')).rejects.toBeInstanceOf(NotFoundError);
      });

      it('accepts content type and metadata without changing the body or the listing', async () => {
        await store.put('meta/obj.json', '{"a":1}', {
          contentType: 'application/json',
          metadata: { job: 'job-1', kind: 'checkpoint', 'checkpoint-id': '7' },
        });
        expect(Buffer.from(await store.get('meta/obj.json')).toString()).toBe('{"a":1}');
        expect(await store.list('')).toEqual(['meta/obj.json']);
        // Re-putting without metadata is a plain overwrite.
        await store.put('meta/obj.json', '{"a":2}');
        expect(Buffer.from(await store.get('meta/obj.json')).toString()).toBe('{"a":2}');
      });

      it('rejects metadata that cannot travel as an HTTP header', async () => {
        await expect(store.put('m', 'x', { metadata: { Job: 'upper-case name' } })).rejects.toBeInstanceOf(
          BadRequestError,
        );
        await expect(store.put('m', 'x', { metadata: { job: 'naïve' } })).rejects.toBeInstanceOf(
          BadRequestError,
        );
        await expect(store.put('m', 'x', { metadata: { job: 'x'.repeat(3000) } })).rejects.toBeInstanceOf(
          BadRequestError,
        );
        expect(await store.exists('m')).toBe(false);
      });

      it('handles concurrent puts to distinct keys', async () => {
        const keys = Array.from({ length: 20 }, (_, i) => `par/k-${String(i).padStart(2, '0')}`);
        await Promise.all(keys.map((key) => store.put(key, key)));
        expect(await store.list('par')).toEqual(keys);
        const bodies = await Promise.all(
          keys.map(async (key) => Buffer.from(await store.get(key)).toString()),
        );
        expect(bodies).toEqual(keys);
      });

      it('round-trips a large object (> 8 MiB, the multipart threshold)', async () => {
        const body = randomBytes(9 * 1024 * 1024 + 123);
        await store.put('large/state.bin', body);
        const got = await store.get('large/state.bin');
        expect(got.byteLength).toBe(body.byteLength);
        expect(sha256(got)).toBe(sha256(body));
        expect(await store.list('large')).toEqual(['large/state.bin']);
      });
    });

    describe('getRange and size', () => {
      it('reads byte ranges, shorter at the end and empty past it', async () => {
        const body = new Uint8Array(1000).map((_, i) => i % 251);
        await store.put('range/obj', body);
        expect(await store.size('range/obj')).toBe(1000);
        expectSameBytes(await store.getRange('range/obj', 0, 10), body.subarray(0, 10));
        expectSameBytes(await store.getRange('range/obj', 500, 300), body.subarray(500, 800));
        expectSameBytes(await store.getRange('range/obj', 990, 100), body.subarray(990));
        expect((await store.getRange('range/obj', 1000, 10)).byteLength).toBe(0);
        expect((await store.getRange('range/obj', 5000, 10)).byteLength).toBe(0);
        expect((await store.getRange('range/obj', 3, 0)).byteLength).toBe(0);
      });

      it('copies a body to another key, replacing what is there', async () => {
        const body = new Uint8Array(300).map((_, i) => (i * 7) % 256);
        await store.put('copy/from', body);
        await store.put('copy/to', 'old');
        await store.copy('copy/from', 'copy/to');
        await store.copy('copy/from', 'copy/new/nested');
        expectSameBytes(await store.get('copy/to'), body);
        expectSameBytes(await store.get('copy/new/nested'), body);
        expectSameBytes(await store.get('copy/from'), body);
        await expect(store.copy('copy/absent', 'copy/x')).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.exists('copy/x')).toBe(false);
        await expect(store.copy('copy/from', '../x')).rejects.toBeInstanceOf(InvalidBlobKeyError);
      });

      it('throws NotFoundError for a missing object and BadRequestError for a negative range', async () => {
        await expect(store.getRange('range/absent', 0, 10)).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.size('range/absent')).rejects.toBeInstanceOf(NotFoundError);
        await store.put('range/here', 'abc');
        await expect(store.getRange('range/here', -1, 2)).rejects.toBeInstanceOf(BadRequestError);
        await expect(store.getRange('range/here', 0, 1.5)).rejects.toBeInstanceOf(BadRequestError);
      });
    });

    describe('exists', () => {
      it('is true for objects and false for missing keys and folders', async () => {
        await store.put('dir/file', 'x');
        expect(await store.exists('dir/file')).toBe(true);
        expect(await store.exists('dir/other')).toBe(false);
        expect(await store.exists('dir')).toBe(false);
        expect(await store.exists('dir/file/below')).toBe(false);
      });
    });

    describe('list', () => {
      beforeEach(async () => {
        // Put out of order so that sorting is the store's doing.
        for (const key of ['b/2', 'a/1', 'b/10', 'c', 'b/1', 'bb/1', 'b/x/deep/3']) await store.put(key, key);
      });

      it('returns every key, sorted, for the empty prefix', async () => {
        expect(await store.list('')).toEqual(['a/1', 'b/1', 'b/10', 'b/2', 'b/x/deep/3', 'bb/1', 'c']);
      });

      it('returns keys under a folder prefix, recursively and sorted, relative to the root', async () => {
        expect(await store.list('b')).toEqual(['b/1', 'b/10', 'b/2', 'b/x/deep/3']);
        expect(await store.list('b/')).toEqual(['b/1', 'b/10', 'b/2', 'b/x/deep/3']);
        expect(await store.list('b/x')).toEqual(['b/x/deep/3']);
        expect(await store.list('b/x/deep')).toEqual(['b/x/deep/3']);
      });

      it('treats a prefix as a folder, not as a string prefix', async () => {
        expect(await store.list('b')).not.toContain('bb/1');
        expect(await store.list('c')).toEqual([]);
      });

      it('returns an empty list for an unknown prefix', async () => {
        expect(await store.list('nope')).toEqual([]);
        expect(await store.list('a/1/2')).toEqual([]);
      });
    });

    it('lists nothing in an empty store', async () => {
      expect(await store.list('')).toEqual([]);
      expect(await store.list('anything/at/all')).toEqual([]);
    });

    describe('delete', () => {
      it('deletes one object and is idempotent', async () => {
        await store.put('del/one', '1');
        await store.put('del/two', '2');
        await store.delete('del/one');
        expect(await store.exists('del/one')).toBe(false);
        await expect(store.get('del/one')).rejects.toBeInstanceOf(NotFoundError);
        await store.delete('del/one');
        await store.delete('never/existed');
        expect(await store.list('')).toEqual(['del/two']);
      });

      it('deletes a whole prefix, counts what it deleted, and leaves siblings alone', async () => {
        const doomed = ['a/b/1', 'a/b/2', 'a/b/c/3'];
        const kept = ['a/bc', 'a/bd/4', 'ab/5', 'a/x'];
        for (const key of [...doomed, ...kept]) await store.put(key, key);
        expect(await store.deletePrefix('a/b')).toBe(3);
        expect(await store.list('')).toEqual([...kept].sort());
        expect(await store.deletePrefix('a/b/')).toBe(0);
        expect(await store.deletePrefix('missing')).toBe(0);
        // The folder is really gone: a new object at its name is possible again.
        await store.put('a/b', 'now an object');
        expect(await store.list('a')).toEqual(['a/b', 'a/bc', 'a/bd/4', 'a/x']);
      });

      it('refuses to delete the whole store through an empty prefix', async () => {
        await store.put('keep', 'x');
        await expect(store.deletePrefix('')).rejects.toBeInstanceOf(SluiceError);
        expect(await store.exists('keep')).toBe(true);
      });
    });

    describe('key validation', () => {
      const badKeys = [
        '../x',
        '/abs',
        'a//b',
        'a/./b',
        'a/../b',
        '',
        'a/',
        'a\\b',
        'a b',
        'a\nb',
        'x~meta.json',
      ];

      it.each(badKeys)('rejects key %j in every operation', async (key) => {
        await expect(store.put(key, 'x')).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.exists(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        expect(() => store.describe(key)).toThrow(InvalidBlobKeyError);
        expect(await store.list('')).toEqual([]);
      });

      it.each(['../x', '/abs', 'a//b', '..', '/'])(
        'rejects prefix %j in list and deletePrefix',
        async (prefix) => {
          await expect(store.list(prefix)).rejects.toBeInstanceOf(InvalidBlobKeyError);
          await expect(store.deletePrefix(prefix)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        },
      );

      it('accepts keys up to 1024 bytes and segments up to 200, and rejects longer ones', async () => {
        const longest = [...'abcde'].map((c) => c.repeat(200)).join('/') + `/${'f'.repeat(19)}`;
        expect(longest).toHaveLength(1024);
        await store.put(longest, 'x');
        expect(await store.list('')).toEqual([longest]);
        await expect(store.put(`${longest}g`, 'x')).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.put('s'.repeat(201), 'x')).rejects.toBeInstanceOf(InvalidBlobKeyError);
      });
    });

    it('describes a key as a URL ending in the key', () => {
      const described = store.describe('checkpoints/job-1/chk-3/_metadata');
      expect(described).toMatch(/^(s3|file):\/\/.+\/checkpoints\/job-1\/chk-3\/_metadata$/);
    });
  });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.byteLength).toBe(expected.byteLength);
  expect(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected)).toBe(true);
}
