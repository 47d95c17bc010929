import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WORDS_PER_LINE, lineAt } from '../jobs/workload';
import type { Measurement } from './measure';
import { expectCount, measure, runBenchJob } from './measure';

/** Keyed word count, four ways. Records = words; every word produces one count update. */
export async function keyedWordCount(lines: number): Promise<Measurement[]> {
  const words = lines * WORDS_PER_LINE;
  return [
    await measure('word-count/hand-loop', words, () => expectCount('hand loop', handLoop(lines), words)),
    await measure('word-count/sluice-chained', words, async () =>
      expectCount('chained', await runBenchJob('keyed-word-count', lines, { parallelism: 1 }), words),
    ),
    await measure('word-count/sluice-unchained', words, async () =>
      expectCount(
        'unchained',
        await runBenchJob('keyed-word-count', lines, { parallelism: 1, chaining: false }),
        words,
      ),
    ),
    await measure('word-count/node-streams', words, async () =>
      expectCount('streams', await nodeStreams(lines), words),
    ),
  ];
}

function handLoop(lines: number): number {
  const counts = new Map<string, number>();
  let updates = 0;
  for (let n = 0; n < lines; n++) {
    for (const word of lineAt(n).split(' ')) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
      updates++;
    }
  }
  return updates;
}

async function nodeStreams(lines: number): Promise<number> {
  const counts = new Map<string, number>();
  let updates = 0;
  function* text(): Generator<string> {
    for (let n = 0; n < lines; n++) yield lineAt(n);
  }
  await pipeline(
    Readable.from(text()),
    new Transform({
      objectMode: true,
      transform(line: string, _e, done) {
        for (const w of line.split(' ')) this.push([w, 1]);
        done();
      },
    }),
    new Transform({
      objectMode: true,
      transform([w]: [string, number], _e, done) {
        const c = (counts.get(w) ?? 0) + 1;
        counts.set(w, c);
        done(null, [w, c]);
      },
    }),
    new Writable({ objectMode: true, write: (_u, _e, done) => (updates++, done()) }),
  );
  return updates;
}
