/**
 * Where a leader failover spends its time (issue 10): the steps from `kill -9` of the leader
 * to the job's records flowing again, read from the processes' JSON logs (pino lines, epoch-ms
 * `time`) and from what the bench saw itself, as seconds after the kill. A step missing from
 * the logs (another log level, a message renamed) is left out rather than guessed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One step of the failover and when it happened, in seconds after the kill. */
export interface TimelineStep {
  readonly step: string;
  readonly atSeconds: number;
}

interface LogLine {
  readonly time: number;
  readonly msg: string;
}

/** What marks each step: the log message (and which processes' logs), first or last seen. */
const STEPS: ReadonlyArray<{
  step: string;
  msg: string;
  from: 'jobmanager' | 'taskmanager';
  pick: 'first' | 'last';
}> = [
  {
    step: 'standby acquired the lease',
    msg: 'leadership granted with fencing token',
    from: 'jobmanager',
    pick: 'first',
  },
  {
    step: 'job record recovered from S3',
    msg: 'job recovered by the new leader',
    from: 'jobmanager',
    pick: 'first',
  },
  { step: 'first TaskManager registered', msg: 'TaskManager registered', from: 'jobmanager', pick: 'first' },
  { step: 'last TaskManager registered', msg: 'TaskManager registered', from: 'jobmanager', pick: 'last' },
  {
    step: 'slots allocated, restoring from checkpoint',
    msg: 'restoring from checkpoint',
    from: 'jobmanager',
    pick: 'first',
  },
  { step: 'tasks deployed', msg: 'attempt deployed', from: 'jobmanager', pick: 'first' },
];

/**
 * The failover steps logged after `killedAtMs` (epoch ms) by the processes whose logs are in
 * `logDir` (`jobmanager*.log`, `taskmanager*.log`), plus the bench's own observations, sorted.
 */
export function failoverTimeline(
  logDir: string,
  killedAtMs: number,
  observed: readonly TimelineStep[],
): TimelineStep[] {
  const linesOf = (prefix: string): LogLine[] =>
    readdirSync(logDir)
      .filter((name) => name.startsWith(prefix) && name.endsWith('.log'))
      .flatMap((name) => parseLog(readFileSync(join(logDir, name), 'utf8')))
      .filter((line) => line.time >= killedAtMs)
      .sort((a, b) => a.time - b.time);
  const logs = { jobmanager: linesOf('jobmanager'), taskmanager: linesOf('taskmanager') };
  const steps: TimelineStep[] = [...observed];
  for (const { step, msg, from, pick } of STEPS) {
    const hits = logs[from].filter((line) => line.msg.startsWith(msg));
    const hit = pick === 'first' ? hits[0] : hits.at(-1);
    if (hit) steps.push({ step, atSeconds: (hit.time - killedAtMs) / 1000 });
  }
  return steps.sort((a, b) => a.atSeconds - b.atSeconds);
}

/** Prints a timeline as `  +1.23 s  step` lines. */
export function formatTimeline(steps: readonly TimelineStep[]): string {
  return steps.map((s) => `  +${s.atSeconds.toFixed(2).padStart(5)} s  ${s.step}`).join('\n');
}

function parseLog(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.startsWith('{')) continue;
    try {
      const line = JSON.parse(raw) as Partial<LogLine>;
      if (typeof line.time === 'number' && typeof line.msg === 'string') lines.push(line as LogLine);
    } catch {
      // Not a log line (a process printed something else): not part of the timeline.
    }
  }
  return lines;
}
