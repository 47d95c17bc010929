/**
 * Per-record keyed state access, as a keyed count does it (read the key's count, write it
 * back), for the candidate stores of the `kv` state backend, and the keyed word-count job on
 * `heap` vs `kv`. A task's record processing is synchronous, so what counts is the rate of a
 * get + put pair per record. Prints a table and writes bench/results/state-backends.json.
 *
 *   npx tsx bench/state-backends.bench.ts [--records 1000000] [--keys 100000] [--async-records 50000]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClassicLevel } from 'classic-level';
import { open } from 'lmdb';
import { keyGroupRangeForSubtask } from '../runtime/graph/key-groups';
import type { KeyedStateBackend } from '../runtime/state/keyed-state-backend';
import { createKeyedStateBackend, stateSettingsFrom } from '../runtime/state/state-backend-factory';
import { defaultConfig } from '../runtime/config';
import type { Measurement } from './scenarios/measure';
import { expectCount, measure, runBenchJob } from './scenarios/measure';

// The binding ships no type declarations; this is the slice the bench uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { RocksLevel } = require('@nxtedition/rocksdb') as {
  RocksLevel: new (path: string, options: { valueEncoding: 'buffer' }) => AsyncKv;
};

const { values: flags } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    keys: { type: 'string', default: '100000' },
    'async-records': { type: 'string', default: '50000' },
    lines: { type: 'string', default: '250000' },
  },
});
const RECORDS = Number(flags.records);
const KEYS = Number(flags.keys);
const ASYNC_RECORDS = Number(flags['async-records']);
const base = mkdtempSync(join(tmpdir(), 'sluice-state-bench-'));
const keyOf = (n: number): string => `key-${(n * 7919) % KEYS}`;

/** Counts through the state port: setCurrentKey, value(), update() per record. */
async function viaPort(kind: 'heap' | 'kv', records: number): Promise<Measurement> {
  const settings = {
    ...stateSettingsFrom(defaultConfig()),
    localDir: base,
    taskDir: join(base, `port-${kind}`),
  };
  const backend: KeyedStateBackend = createKeyedStateBackend(kind, settings, {
    operatorId: 'bench',
    operatorName: 'bench',
    maxParallelism: 128,
    keyGroupRange: keyGroupRangeForSubtask(128, 1, 0),
  });
  const count = backend.getState<number>('count');
  const result = await measure(`port/${kind}`, records, () => {
    for (let n = 0; n < records; n++) {
      backend.setCurrentKey(keyOf(n));
      count.update((count.value() ?? 0) + 1);
    }
  });
  await backend.dispose();
  return result;
}

/** LMDB directly: a synchronous get and put per record, each put its own commit or batched. */
async function lmdbRaw(records: number, commitEvery: number): Promise<Measurement> {
  const db = open<Buffer, Buffer>({
    path: join(base, `lmdb-${commitEvery}`),
    noSync: true,
    encoding: 'binary',
    keyEncoding: 'binary',
    compression: false,
  });
  const step = (n: number): void => {
    const key = Buffer.from(keyOf(n));
    const old = db.getBinaryFast(key);
    const value = Buffer.allocUnsafe(4);
    value.writeUInt32BE((old ? old.readUInt32BE(0) : 0) + 1);
    db.putSync(key, value);
  };
  const name = commitEvery === 1 ? 'lmdb/sync-commit-per-put' : `lmdb/sync-txn-per-${commitEvery}`;
  const result = await measure(name, records, () => {
    for (let n = 0; n < records; n += commitEvery) {
      const end = Math.min(records, n + commitEvery);
      if (commitEvery === 1) step(n);
      else
        db.transactionSync(() => {
          for (let i = n; i < end; i++) step(i);
        });
    }
  });
  await db.close();
  return result;
}

interface AsyncKv {
  open(): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, value: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** An awaited get and put per record (what a synchronous task would have to wait for). */
async function asyncStore(name: string, db: AsyncKv, records: number): Promise<Measurement> {
  await db.open();
  const result = await measure(name, records, async () => {
    for (let n = 0; n < records; n++) {
      const key = keyOf(n);
      // Some bindings reject a missing key instead of resolving undefined.
      const old = await db.get(key).catch((err: { notFound?: boolean }) => {
        if (err.notFound) return undefined;
        throw err;
      });
      const value = Buffer.allocUnsafe(4);
      value.writeUInt32BE((old ? old.readUInt32BE(0) : 0) + 1);
      await db.put(key, value);
    }
  });
  await db.close();
  return result;
}

function report(m: Measurement): Measurement {
  console.log(`  ${m.scenario}: ${Math.round(m.recordsPerSec)} records/s`);
  return m;
}

async function main(): Promise<void> {
  console.log(`state backends: ${RECORDS} records over ${KEYS} keys (async stores: ${ASYNC_RECORDS})`);
  const results: Measurement[] = [];
  results.push(report(await viaPort('heap', RECORDS)));
  results.push(report(await viaPort('kv', RECORDS)));
  results.push(report(await lmdbRaw(Math.min(RECORDS, 200_000), 1)));
  results.push(report(await lmdbRaw(RECORDS, 1000)));
  const level = new ClassicLevel<string, Buffer>(join(base, 'leveldb'), { valueEncoding: 'buffer' });
  results.push(
    report(await asyncStore('classic-level/awaited-get-put', level as unknown as AsyncKv, ASYNC_RECORDS)),
  );
  const rocks = new RocksLevel(join(base, 'rocksdb'), { valueEncoding: 'buffer' });
  results.push(report(await asyncStore('rocksdb/awaited-get-put', rocks, ASYNC_RECORDS)));

  const lines = Number(flags.lines);
  const words = lines * 8;
  for (const backend of ['heap', 'kv'] as const) {
    results.push(
      await measure(`word-count-job/${backend}`, words, async () =>
        expectCount(
          backend,
          await runBenchJob('keyed-word-count', lines, { parallelism: 1, stateBackend: backend }),
          words,
        ),
      ),
    );
  }
  const rate = (s: string): number => results.find((r) => r.scenario === s)!.recordsPerSec;
  const ratios = {
    kvVsHeapPort: rate('port/kv') / rate('port/heap'),
    kvVsHeapJob: rate('word-count-job/kv') / rate('word-count-job/heap'),
  };
  console.log('\n| scenario | records | seconds | records/s |\n| --- | ---: | ---: | ---: |');
  for (const r of results)
    console.log(
      `| ${r.scenario} | ${r.records} | ${r.seconds.toFixed(2)} | ${Math.round(r.recordsPerSec)} |`,
    );
  for (const [name, value] of Object.entries(ratios))
    console.log(`| ratio ${name} | | | ${value.toFixed(2)} |`);
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'state-backends.json');
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), results, ratios }, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => rmSync(base, { recursive: true, force: true }));
