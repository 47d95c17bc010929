import { defineJob } from '../../runtime/api';
import { countingSink } from './counting-sink';
import { lineAt, splitLine } from './workload';

/** Keyed word count over synthetic lines: split, pair, keyBy word, rolling sum, count the updates. */
export default defineJob('bench-word-count', (env, args) => {
  env
    .fromGenerator(Number(args.records), lineAt, 'lines')
    .flatMap(splitLine)
    .name('split')
    .map((w): [string, number] => [w, 1])
    .name('pair')
    .keyBy(([w]) => w)
    .sum(1)
    .name('counts')
    .sinkTo(countingSink(), 'count');
});
