import { Agent, request } from 'node:http';
import { defineJob } from '../../runtime/api';
import { countingSink } from './counting-sink';

// One keep-alive agent per thread: node:http costs a fraction of fetch per call on Node 20.
const agent = new Agent({ keepAlive: true });

/** `GET <url>/square?v=N` of the bench's service (test/helpers/async-service.ts): the square. */
export function callSquare(url: string, v: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/square?v=${v}`, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`the service answered ${res.statusCode}: ${body}`));
        else resolve((JSON.parse(body) as { square: number }).square);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `records` calls of the service through mapAsync at `capacity` (default 100), counted. */
export default defineJob('bench-async-calls', (env, args) => {
  const url = String(args.url);
  env
    .fromSequence(0, Number(args.records) - 1)
    .mapAsync((v) => callSquare(url, v), {
      capacity: Number(args.capacity ?? 100),
      timeoutMs: 60_000,
      ordered: args.ordered !== 'false',
    })
    .name('square')
    .sinkTo(countingSink(), 'count');
});
