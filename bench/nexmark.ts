/**
 * `npm run bench -- nexmark [--quick]`: only the Nexmark scenarios, every query on heap and kv,
 * on one TaskManager and across two; prints the table beside Flink's figures, writes
 * bench/results/nexmark.json and puts the rows into bench/results/latest.json (replacing the
 * Nexmark rows of an earlier run, keeping everything else).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NexmarkMeasurement } from './scenarios/nexmark';
import { nexmarkScenarios, printNexmarkTable } from './scenarios/nexmark';

/** How much the standalone run scales the events of each query (the full `npm run bench` uses 1). */
const STANDALONE_SCALE = 3;

export async function runNexmarkBench(quick: boolean): Promise<void> {
  const scale = quick ? 0.5 : STANDALONE_SCALE;
  console.log(`sluice bench: Nexmark (${quick ? 'quick' : 'full'}, events ×${scale})`);
  const rows = await nexmarkScenarios({
    scale,
    backends: ['heap', 'kv'],
    placements: ['one-taskmanager', 'two-taskmanagers'],
  });
  printNexmarkTable(rows);
  writeResults(rows, quick);
}

function writeResults(rows: NexmarkMeasurement[], quick: boolean): void {
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString();
  writeFileSync(join(dir, 'nexmark.json'), JSON.stringify({ quick, date, results: rows }, null, 2) + '\n');
  const latestFile = join(dir, 'latest.json');
  const latest = existsSync(latestFile)
    ? (JSON.parse(readFileSync(latestFile, 'utf8')) as { results?: { scenario: string }[] })
    : {};
  const others = (latest.results ?? []).filter((r) => !r.scenario.startsWith('nexmark/'));
  writeFileSync(
    latestFile,
    JSON.stringify({ ...latest, results: [...others, ...rows], nexmarkDate: date }, null, 2) + '\n',
  );
  console.log(`\nwrote ${join(dir, 'nexmark.json')} and the nexmark rows of ${latestFile}`);
}
