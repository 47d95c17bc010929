import { defineJob } from '../runtime/api';
import { intArg } from './job-args';

/** What the job prints per record: the number, and the service's answer for it. */
export interface Enriched {
  n: number;
  status: number;
  body: string;
}

/**
 * Async I/O example: each number 0..records-1 is enriched by an HTTP call, `GET <url>?v=N`,
 * through `mapAsync`: up to `capacity` calls in flight per subtask, results in input order,
 * a call that takes longer than `timeoutMs` gives a fallback record (status 0) instead of
 * failing the job. With checkpoints, calls in flight are checkpointed and made again after a
 * failure, so each number is in the committed output once.
 *   --arg url=URL         any HTTP service, e.g. `python3 -m http.server 8000` and http://127.0.0.1:8000/
 *   --arg records=N       default 100
 *   --arg capacity=N      calls in flight per subtask (default 10)
 *   --arg timeoutMs=MS    default 5000
 *   --arg ordered=false   emit results as they come (never across a watermark)
 */
export default defineJob('async-enrich', (env, args) => {
  if (!args.url) throw new Error('async-enrich needs the service to call: --arg url=http://host:port/path');
  const url = new URL(args.url);
  env
    .fromSequence(0, intArg(args, 'records', 100) - 1)
    .uid('numbers')
    .mapAsync<Enriched>(
      async (n) => {
        const target = new URL(url);
        target.searchParams.set('v', String(n));
        const res = await fetch(target);
        const body = (await res.text()).replace(/\s+/g, ' ').trim();
        return { n, status: res.status, body: body.slice(0, 80) };
      },
      {
        capacity: intArg(args, 'capacity', 10, 1),
        timeoutMs: intArg(args, 'timeoutMs', 5000, 1),
        ordered: args.ordered !== 'false',
        onTimeout: (n) => ({ n, status: 0, body: 'timed out' }),
      },
    )
    .name('enrich')
    .uid('enrich')
    .map((e) => `${e.n} ${e.status} ${e.body}`)
    .print();
});
