import { defineJob } from '../runtime/api';
import { SAMPLE_LINES } from './sample-text';

/** Lowercase words of a line, split on anything that is not a letter. */
export function splitWords(line: string, out: { collect(word: string): void }): void {
  for (const word of line.toLowerCase().split(/[^\p{L}]+/u)) {
    if (word.length > 0) out.collect(word);
  }
}

/**
 * Word count. Prints `<word> <count>` each time a word's count changes.
 *   --arg input=<path>   text file to count (default: a built-in sample text)
 */
export default defineJob('word-count', (env, args) => {
  const lines = args.input
    ? env.readTextFile(args.input)
    : env.fromCollection(SAMPLE_LINES).name('sample-text');
  lines
    // Stateful operators (the source's read position, the counts) get uids, so a savepoint of
    // this job restores into its later versions.
    .uid('lines')
    .flatMap(splitWords)
    .name('split')
    .map((word): [string, number] => [word, 1])
    .name('pair')
    .keyBy(([word]) => word)
    .sum(1)
    .uid('counts')
    .name('counts')
    .map(([word, count]) => `${word} ${count}`)
    .name('format')
    .print();
});
