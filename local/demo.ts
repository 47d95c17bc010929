/**
 * `npm run demo`: word count on the built-in sample text at parallelism 2, then the top words.
 */
import { join } from 'node:path';
import { prepareJob } from '../runtime/client/prepare-job';
import { runJobEmbedded } from '../runtime/minicluster/mini-cluster';

export const TOP_WORDS = 10;

/** Final count per word from word-count's `<word> <count>` update lines. */
export function finalCounts(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const space = line.lastIndexOf(' ');
    const word = line.slice(0, space);
    counts.set(word, Math.max(counts.get(word) ?? 0, Number(line.slice(space + 1))));
  }
  return counts;
}

export function topWords(counts: Map<string, number>, n = TOP_WORDS): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n);
}

async function main(): Promise<void> {
  const job = join(__dirname, '..', 'functions', 'word-count.ts');
  const { jobGraph, code } = prepareJob(job, {}, { parallelism: 2 });
  console.log(`running word-count at parallelism 2 (embedded): ${jobGraph.vertices.map((v) => `[${v.name}]`).join(' => ')}`);
  const lines: string[] = [];
  const result = await runJobEmbedded(jobGraph, code, { onOutput: (l) => lines.push(...l) });
  const counts = finalCounts(lines);
  console.log(`${lines.length} count updates, ${counts.size} distinct words, ${result.durationMs} ms\n`);
  console.log('top words:');
  for (const [word, count] of topWords(counts)) console.log(`  ${word.padEnd(12)} ${count}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
