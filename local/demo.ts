/**
 * `npm run demo`: starts the local cluster (a job manager and 2 TaskManagers as processes, on
 * the local cloud that works here), runs word-count on the built-in sample text across both
 * TaskManagers, prints the top words, and shuts everything down.
 *   --embedded   run in this process instead (no cluster)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { followJob } from '../runtime/client/follow-job';
import { prepareJob } from '../runtime/client/prepare-job';
import { RestClient } from '../runtime/client/rest-client';
import { submitJob } from '../runtime/client/submit-job';
import { runJobEmbedded } from '../runtime/minicluster/mini-cluster';
import { startLocalCluster } from './cluster';

export const TOP_WORDS = 10;
const WORD_COUNT = join(__dirname, '..', 'functions', 'word-count.ts');
const PARALLELISM = 2;

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

async function onLocalCluster(): Promise<string[]> {
  const rootDir = mkdtempSync(join(tmpdir(), 'sluice-demo-'));
  console.log('starting a local cluster: 1 job manager, 2 TaskManagers x 2 slots ...');
  const cluster = await startLocalCluster({ taskManagers: 2, slots: 2, cloud: 'auto', rootDir, restPort: 0 });
  try {
    console.log(`cloud: ${cluster.cloud.mode} (${cluster.cloud.reason}); REST ${cluster.restUrl}`);
    const client = new RestClient({ url: cluster.restUrl, token: cluster.token });
    const { jobId } = await submitJob(client, WORD_COUNT, {}, { parallelism: PARALLELISM });
    const lines: string[] = [];
    const { details } = await followJob(client, jobId, {
      pollIntervalMs: 100,
      onLines: (l) => lines.push(...l),
    });
    if (details.status !== 'FINISHED')
      throw new Error(`job ${jobId} ended ${details.status}: ${details.failure?.message ?? ''}`);
    const placement = details.vertices.map(
      (v) => `[${v.name}] on ${[...new Set(v.subtasks.map((s) => s.taskManagerId))].join(', ')}`,
    );
    console.log(`word-count ran in ${details.durationMs} ms:\n  ${placement.join('\n  ')}`);
    return lines;
  } finally {
    await cluster.stop();
    rmSync(rootDir, { recursive: true, force: true });
  }
}

async function embedded(): Promise<string[]> {
  const { jobGraph, code } = prepareJob(WORD_COUNT, {}, { parallelism: PARALLELISM });
  const lines: string[] = [];
  await runJobEmbedded(jobGraph, code, { onOutput: (l) => lines.push(...l) });
  return lines;
}

export const DEMO_USAGE = `Usage: npm run demo [-- --embedded]

Starts a local cluster (a job manager and 2 TaskManagers x 2 slots, as processes on the local
cloud that works here), runs functions/word-count.ts at parallelism 2 across both TaskManagers,
prints the top ${TOP_WORDS} words and stops the cluster.

Options:
  --embedded   run the job in this process instead (every subtask in its own thread, no cluster)
  -h, --help   print this help
`;

/** The demo's flags; throws on an unknown one (node's parseArgs names it). */
export function parseDemoArgs(argv: readonly string[]): { embedded: boolean; help: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    options: { embedded: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  return { embedded: values.embedded === true, help: values.help === true };
}

async function main(): Promise<void> {
  const flags = parseDemoArgs(process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(DEMO_USAGE);
    return;
  }
  const lines = flags.embedded ? await embedded() : await onLocalCluster();
  const counts = finalCounts(lines);
  console.log(`\n${lines.length} count updates, ${counts.size} distinct words; top words:`);
  for (const [word, count] of topWords(counts)) console.log(`  ${word.padEnd(12)} ${count}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
