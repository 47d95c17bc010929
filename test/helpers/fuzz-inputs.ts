/* eslint-disable @typescript-eslint/no-explicit-any -- hostile inputs break JSON values field by field */
/**
 * Seeded generators of hostile input for the fuzz test (issue 7, item 12): HTTP requests
 * against the REST API and raw bytes against the control and data ports. Everything is drawn
 * from one PRNG, so a failing seed replays exactly.
 */
import type { JobSubmission } from '../../runtime/jobmanager/gateway';
import type { Prng } from './prng';

export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
  /** What kind of case this is, to report a failure readably. */
  readonly kind: string;
}

export interface FuzzContext {
  readonly token: string;
  /** A job id the server knows, a stored artifact, and a valid submission using it. */
  readonly jobId: string;
  readonly artifact: string;
  readonly submission: JobSubmission;
  readonly maxBodyBytes: number;
}

const METHODS = [
  'GET',
  'GET',
  'POST',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'FOO',
  'PROPFIND',
];
const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json; charset=utf-16',
  'text/plain',
  'application/octet-stream',
  'application/javascript',
  'multipart/form-data; boundary=xyz',
  'application/x-www-form-urlencoded',
  '',
  '*/*',
  'application/json, text/plain',
];

/** Paths: real routes, unknown ids, `..` in every spelling, bad and overlong encodings. */
function fuzzPath(r: Prng, ctx: FuzzContext): string {
  const id = r.pick([
    ctx.jobId,
    r.hex(32),
    r.hex(31),
    'A'.repeat(32),
    '..',
    '%2e%2e',
    '%zz',
    '%00',
    '%C0%AE',
  ]);
  const sha = r.pick([ctx.artifact, r.hex(64), '../../etc/passwd', '..%2F..%2Fjobs', r.hex(65)]);
  const query = r.pick([
    '',
    '?mode=cancel',
    '?mode=stop',
    '?fromLine=-1&fromResult=x',
    '?fromLine=99999999999999999999999',
    '?fromLine=1&fromLine=2',
    `?${'a=1&'.repeat(500)}`,
    '?%zz=1',
    '?__proto__[x]=1',
  ]);
  const base = r.pick([
    '/',
    '/healthz',
    '/livez',
    '/overview',
    '/metrics',
    '/taskmanagers',
    '/jobs',
    `/jobs/${id}`,
    `/jobs/${id}/output`,
    `/jobs/${id}/../../overview`,
    `/artifacts/${sha}`,
    '/artifacts/',
    '/../../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '//jobs',
    '/jobs//',
    '/jobs/%',
    `/${encodeURIComponent(r.bytes(r.int(64)).toString('latin1'))}`,
    `/jobs/${'x'.repeat(r.pick([200, 5_000, 60_000]))}`,
    '/savepoint-disposal',
    '/jobs/savepoints',
  ]);
  return `${base}${query}`;
}

function fuzzAuthorization(r: Prng, token: string): string | undefined {
  return r.pick([
    `Bearer ${token}`,
    `Bearer ${token}`,
    `Bearer ${token}`,
    `Bearer ${token}`,
    undefined,
    'Bearer',
    'Bearer ',
    `Bearer ${token.slice(0, r.int(token.length))}`,
    `Bearer ${token}x`,
    `bearer   ${token}`,
    `Basic ${Buffer.from(`a:${token}`).toString('base64')}`,
    `Bearer ${token} ${token}`,
    `Bearer ${'A'.repeat(4_000)}`,
    `Bearer %00${token}`,
  ]);
}

/** A valid submission turned hostile: cycles, unknown operators, absurd numbers, deep or huge graphs. */
function hostileSubmission(r: Prng, ctx: FuzzContext): { kind: string; value: unknown } {
  const s = structuredClone(ctx.submission) as unknown as Record<string, any>;
  const graph = s.jobGraph as Record<string, any>;
  const vertex = graph.vertices[0] as Record<string, any>;
  const cases: [string, () => unknown][] = [
    [
      'cycle',
      () =>
        graph.edges.push({
          ...graph.edges[0],
          id: 'back',
          sourceVertex: graph.edges[0]?.targetVertex,
          targetVertex: graph.edges[0]?.sourceVertex,
        }),
    ],
    [
      'self-loop',
      () =>
        graph.edges.push({
          ...(graph.edges[0] ?? {}),
          id: 'self',
          sourceVertex: vertex.id,
          targetVertex: vertex.id,
        }),
    ],
    [
      'unknown operator',
      () => (vertex.operators[0].kind = r.pick(['eval', 'exec', '__proto__', 'constructor'])),
    ],
    [
      'huge parallelism',
      () => (vertex.parallelism = r.pick([1e9, 2 ** 31, -1, 0, 1.5, Number.MAX_SAFE_INTEGER])),
    ],
    ['huge max parallelism', () => (graph.settings.maxParallelism = r.pick([1e9, 32_769]))],
    ['NaN-like numbers', () => (vertex.parallelism = r.pick(['1', null, {}, [], 'NaN', true]))],
    [
      'many vertices',
      () =>
        (graph.vertices = Array.from({ length: r.pick([1_001, 5_000]) }, (_, i) => ({
          ...vertex,
          id: `v${i}`,
        }))),
    ],
    ['many edges', () => (graph.edges = Array.from({ length: 10_001 }, () => graph.edges[0] ?? {}))],
    [
      'dangling edge',
      () => graph.edges.push({ ...(graph.edges[0] ?? {}), id: 'dangling', targetVertex: 'nowhere' }),
    ],
    ['control characters', () => (graph.jobName = `job\u0000\u001b[31m\u202e${r.hex(4)}`)],
    ['long name', () => (graph.jobName = 'n'.repeat(r.pick([257, 100_000])))],
    ['extra fields', () => (graph.__proto__extra = { constructor: { prototype: { polluted: true } } })],
    [
      'prototype keys',
      () => Object.assign(s, JSON.parse('{"__proto__":{"polluted":true},"constructor":{"x":1}}')),
    ],
    ['missing fields', () => delete graph[r.pick(['vertices', 'edges', 'settings', 'jobName', 'graphHash'])]],
    ['artifact path', () => (s.artifact = r.pick(['../../etc/passwd', r.hex(64), '', 'A'.repeat(64)]))],
    [
      'hostile args',
      () =>
        (s.args = r.pick([
          { '../x': 'y' },
          Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'])),
          { k: 'v'.repeat(10_000) },
          [],
        ])),
    ],
    ['deep nesting', () => (graph.settings = DEEP)],
    ['wrong format version', () => (graph.formatVersion = r.pick([0, 2, '1']))],
  ];
  const [kind, mutate] = r.pick(cases);
  mutate();
  return { kind: `job graph: ${kind}`, value: s };
}

/** Stands for a deeply nested object, spliced into the JSON text (JSON.stringify would overflow the stack). */
const DEEP = '__sluice_fuzz_deep__';

function jsonText(r: Prng, value: unknown): string {
  const depth = r.pick([100, 5_000, 50_000]);
  return JSON.stringify(value).replace(`"${DEEP}"`, () => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
}

function fuzzBody(r: Prng, ctx: FuzzContext): { kind: string; body?: Buffer } {
  const json = (kind: string, value: unknown) => ({ kind, body: Buffer.from(jsonText(r, value)) });
  const roll = r.next();
  if (roll < 0.15) return { kind: 'no body' };
  if (roll < 0.45) return json(...(Object.values(hostileSubmission(r, ctx)) as [string, unknown]));
  if (roll < 0.55) {
    const text = JSON.stringify(ctx.submission);
    return { kind: 'truncated JSON', body: Buffer.from(text.slice(0, r.int(text.length))) };
  }
  if (roll < 0.7) return { kind: 'random bytes', body: r.bytes(r.int(2_048)) };
  if (roll < 0.8)
    return {
      kind: 'JSON scalar',
      body: Buffer.from(r.pick(['null', '[]', '"x"', '1e999', '-0', 'true', '{}', '{"a":'])),
    };
  if (roll < 0.85)
    return { kind: 'deep array', body: Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) };
  if (roll < 0.86) return { kind: 'oversized body', body: Buffer.alloc(ctx.maxBodyBytes + 1_024, 0x20) };
  return json('valid submission, odd args', { ...ctx.submission, args: { [r.hex(6)]: r.hex(10) } });
}

/** One hostile request. Valid-looking submissions never name a stored artifact unless by chance of the case. */
export function fuzzRequest(r: Prng, ctx: FuzzContext): FuzzRequest {
  const method = r.pick(METHODS);
  const path = fuzzPath(r, ctx);
  const headers: Record<string, string> = {};
  const authorization = fuzzAuthorization(r, ctx.token);
  if (authorization !== undefined) headers.authorization = authorization;
  const { kind, body } = method === 'GET' || method === 'HEAD' ? { kind: 'no body' } : fuzzBody(r, ctx);
  if (body !== undefined) {
    const type = r.pick(CONTENT_TYPES);
    if (type !== '') headers['content-type'] = type;
    if (r.chance(0.05)) headers['content-encoding'] = r.pick(['gzip', 'br', 'x-unknown']);
  }
  if (r.chance(0.02)) headers['x-long'] = 'h'.repeat(20_000);
  return { method, path, headers, ...(body !== undefined ? { body } : {}), kind };
}

/** Raw bytes for a control or data port: garbage, huge length prefixes, half frames. */
export function rawBytes(r: Prng): { kind: string; bytes: Buffer } {
  const roll = r.next();
  if (roll < 0.3) return { kind: 'garbage', bytes: r.bytes(1 + r.int(4_096)) };
  if (roll < 0.5) {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(r.pick([0xffffffff, 0x7fffffff, 0x10000000, 65_537]));
    return { kind: 'huge length prefix', bytes: Buffer.concat([prefix, r.bytes(r.int(64))]) };
  }
  if (roll < 0.7) {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(200);
    return { kind: 'half frame', bytes: Buffer.concat([prefix, r.bytes(r.int(100))]) };
  }
  if (roll < 0.85) {
    const text = JSON.stringify({ type: 'hello', id: r.hex(8), nonce: r.hex(32), mac: r.hex(64) });
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(text.length);
    return { kind: 'forged handshake', bytes: Buffer.concat([prefix, Buffer.from(text)]) };
  }
  return { kind: 'HTTP on a binary port', bytes: Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n') };
}
