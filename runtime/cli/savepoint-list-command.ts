import type { Command } from 'commander';
import { SavepointRequests } from '../client/savepoint-requests';
import { connectToCluster } from './cluster-client';
import { formatTable, formatTime } from './format';
import type { ClusterFlags } from './options';
import { addClusterOptions } from './options';
import { formatBytes } from './format';

interface ListOptions extends ClusterFlags {
  json?: boolean;
}

/** `sluice savepoint list`: the savepoints in the cluster's store (`GET /savepoints`), newest first. */
export function registerSavepointListCommand(savepoint: Command): void {
  const command = savepoint
    .command('list')
    .description(
      "List the savepoints in the cluster's store, newest first (job, time, trigger, size, location)",
    )
    .option('--json', 'print the list as JSON');
  addClusterOptions(command).action(async (_options: ListOptions, self: Command) => {
    // `--rest-url` and `--token` given after `list` are taken by `savepoint`, which has them too.
    const options = self.optsWithGlobals<ListOptions>();
    const savepoints = await new SavepointRequests(await connectToCluster(options)).list();
    if (options.json) {
      process.stdout.write(`${JSON.stringify(savepoints, null, 2)}\n`);
      return;
    }
    if (savepoints.length === 0) {
      console.error("no savepoints in the cluster's store");
      return;
    }
    const rows = savepoints.map((s) => [
      formatTime(s.timestamp),
      s.jobName,
      s.jobId,
      s.trigger,
      formatBytes(s.stateSize),
      s.location,
    ]);
    process.stdout.write(`${formatTable(['time', 'job', 'job id', 'trigger', 'size', 'location'], rows)}\n`);
  });
}
