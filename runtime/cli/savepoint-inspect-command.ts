import type { Command } from 'commander';
import type { SavepointInspection } from '../checkpoint/savepoint-inspection';
import { dumpKeyedState, inspectSavepoint } from '../checkpoint/savepoint-inspection';
import { openSavepoint } from '../checkpoint/savepoint-reader';
import { configuredBlobStore } from './cluster-client';
import { formatTable, formatTime } from './format';
import { formatBytes } from './format';

interface InspectOptions {
  dump?: string;
  state?: string;
  key?: string;
  json?: boolean;
}

/**
 * `sluice savepoint inspect <path>`: what a savepoint holds, read straight from the store (no
 * job manager): operators, key group ranges, state names, key counts and sizes; `--dump <uid>`
 * writes keyed state as JSON lines.
 */
export function registerSavepointInspectCommand(savepoint: Command): void {
  savepoint
    .command('inspect')
    .description(
      'Show what a savepoint holds: operators (uid, name), key group ranges, state names, key counts, sizes. ' +
        'Reads the store from SLUICE_CONFIG / SLUICE_* settings, or a local directory holding _metadata',
    )
    .argument('<path>', 'savepoint location (as printed by sluice savepoint / list) or a local directory')
    .option('--dump <uid>', 'write the keyed state of the operator with this uid as JSON lines on stdout')
    .option('--state <name>', 'with --dump: only this state')
    .option('--key <key>', 'with --dump: only this key (its text, or its JSON)')
    .option('--json', 'print the inspection as JSON')
    .action(async (path: string, options: InspectOptions) => {
      const opened = await openSavepoint(path, configuredBlobStore);
      try {
        if (options.dump !== undefined) {
          const filter = {
            ...(options.state !== undefined ? { state: options.state } : {}),
            ...(options.key !== undefined ? { key: options.key } : {}),
          };
          for await (const entry of dumpKeyedState(opened, options.dump, filter))
            process.stdout.write(`${JSON.stringify(entry, jsonSafe)}\n`);
          return;
        }
        const inspection = await inspectSavepoint(opened);
        process.stdout.write(
          options.json ? `${JSON.stringify(inspection, null, 2)}\n` : `${formatInspection(inspection)}\n`,
        );
      } finally {
        await opened.close();
      }
    });
}

/** JSON for values msgpack may hold that JSON lacks: bigints as strings, maps as objects, bytes as base64. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

/** How `inspect` names operator state by mode; # is the element count. */
const OPERATOR_STATE_KINDS = {
  split: 'operator list, # elements',
  union: 'union list, # elements',
  broadcast: 'broadcast map, # entries',
} as const;

function formatInspection(i: SavepointInspection): string {
  const lines = [
    `savepoint ${i.location}`,
    `job '${i.jobName}' (${i.jobId}), checkpoint ${i.checkpointId}, ${i.trigger}, ${formatTime(i.timestamp)}, ${formatBytes(i.stateSize)}`,
    '',
  ];
  const rows = i.operators.map((op) => [
    op.uid ?? `(no uid) ${op.id}`,
    op.name,
    `${op.parallelism}/${op.maxParallelism}`,
    [
      ...op.keyedStates.map((s) => `${s.name} (${s.kind}, ${s.keys} keys)`),
      ...op.operatorStates.map((s) =>
        `${s.name} (${OPERATOR_STATE_KINDS[s.mode]})`.replace('#', String(s.elements)),
      ),
      ...(op.timers > 0 ? [`${op.timers} timers`] : []),
    ].join(', ') || '-',
    formatBytes(op.bytes),
  ]);
  lines.push(formatTable(['uid', 'name', 'parallelism/max', 'state', 'size'], rows), '');
  for (const op of i.operators) {
    const keyed = op.subtasks.filter((s) => s.keyGroupRange);
    if (keyed.length === 0) continue;
    lines.push(`${op.uid ?? op.id} key groups:`);
    for (const s of keyed)
      lines.push(
        `  subtask ${s.subtask}: key groups ${s.keyGroupRange!.start}-${s.keyGroupRange!.end}, ${s.keys} keys, ${formatBytes(s.keyedBytes ?? 0)} (${s.backend})`,
      );
  }
  return lines.join('\n').trimEnd();
}
