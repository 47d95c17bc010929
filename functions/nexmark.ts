import { defineJob } from '../runtime/api';
import type { JobDefinition } from '../runtime/api';
import q0 from './nexmark/q0';
import q1 from './nexmark/q1';
import q2 from './nexmark/q2';
import q3 from './nexmark/q3';
import q4 from './nexmark/q4';
import q5 from './nexmark/q5';
import q7 from './nexmark/q7';
import q8 from './nexmark/q8';
import q11 from './nexmark/q11';

export const NEXMARK_QUERIES: Readonly<Record<string, JobDefinition>> = {
  q0,
  q1,
  q2,
  q3,
  q4,
  q5,
  q7,
  q8,
  q11,
};

/**
 * The Nexmark queries in one job module (each is also a job of its own, functions/nexmark/<q>.ts).
 *   --arg query=q0|q1|q2|q3|q4|q5|q7|q8|q11   which query (default q2)
 *   --arg events=N, seed=N, rate=N, sink=count|print|discard   see functions/nexmark/query-job.ts
 */
export default defineJob('nexmark', (env, args) => {
  const query = args.query ?? 'q2';
  const job = Object.hasOwn(NEXMARK_QUERIES, query) ? NEXMARK_QUERIES[query] : undefined;
  if (!job)
    throw new Error(`unknown query '${query}': use one of ${Object.keys(NEXMARK_QUERIES).join(', ')}`);
  job.build(env, args);
});
