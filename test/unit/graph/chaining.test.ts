import { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import type { JobSettings } from '../../../runtime/api/job-settings';
import type { JobGraph } from '../../../runtime/graph/job-graph';
import { createJobGraph } from '../../../runtime/graph/job-graph';
import { streamGraphFromEnvironment } from '../../../runtime/graph/stream-graph';

function plan(
  build: (env: StreamExecutionEnvironment) => void,
  settings: Partial<JobSettings> = {},
): JobGraph {
  const env = new StreamExecutionEnvironment(settings);
  build(env);
  return createJobGraph(streamGraphFromEnvironment('test', env));
}

/** Vertex contents as lists of operator names, in vertex order. */
const chains = (g: JobGraph): string[][] => g.vertices.map((v) => v.operators.map((o) => o.name));

describe('operator chaining rules', () => {
  it('chains forward edges with equal parallelism into one task', () => {
    const g = plan((env) =>
      env
        .fromSequence(1, 10)
        .name('src')
        .map((x) => x)
        .name('m')
        .filter(() => true)
        .name('f')
        .print('sink'),
    );
    expect(chains(g)).toEqual([['src', 'm', 'f', 'sink']]);
    expect(g.edges).toHaveLength(0);
    expect(g.vertices[0]!.name).toBe('src -> m -> f -> sink');
  });

  it('does not chain across a parallelism change (rebalance)', () => {
    // The sink takes the job's default parallelism (1), as in Flink, so it is split off again.
    const g = plan((env) =>
      env
        .fromSequence(1, 10)
        .name('src')
        .map((x) => x)
        .name('m')
        .setParallelism(2)
        .print('sink'),
    );
    expect(chains(g)).toEqual([['src'], ['m'], ['sink']]);
    expect(g.edges.map((e) => e.partitioner)).toEqual(['rebalance', 'rebalance']);
  });

  it('does not chain hash, rebalance or broadcast edges', () => {
    const g = plan((env) => {
      const s = env.fromSequence(1, 10).name('src');
      s.keyBy((x) => x % 3)
        .map((x) => x)
        .name('keyed')
        .print('a');
      s.rebalance()
        .map((x) => x)
        .name('rebalanced')
        .print('b');
      s.broadcast()
        .map((x) => x)
        .name('broadcasted')
        .print('c');
    });
    expect(chains(g)).toEqual([['src'], ['keyed', 'a'], ['rebalanced', 'b'], ['broadcasted', 'c']]);
    expect(g.edges.map((e) => e.partitioner).sort()).toEqual(['broadcast', 'hash', 'rebalance']);
  });

  it('lets one operator chain to several successors (fan-out inside a chain)', () => {
    const g = plan((env) => {
      const s = env.fromSequence(1, 10).name('src');
      s.map((x) => x)
        .name('m1')
        .print('p1');
      s.map((x) => x)
        .name('m2')
        .print('p2');
    });
    expect(chains(g)).toEqual([['src', 'm1', 'p1', 'm2', 'p2']]);
  });

  it('respects disableChaining on either side', () => {
    const up = plan((env) =>
      env
        .fromSequence(1, 10)
        .name('src')
        .disableChaining()
        .map((x) => x)
        .name('m')
        .print('sink'),
    );
    expect(chains(up)).toEqual([['src'], ['m', 'sink']]);
    const down = plan((env) =>
      env
        .fromSequence(1, 10)
        .name('src')
        .map((x) => x)
        .name('m')
        .disableChaining()
        .print('sink'),
    );
    expect(chains(down)).toEqual([['src'], ['m'], ['sink']]);
  });

  it('startNewChain begins a chain that successors still join', () => {
    const g = plan((env) =>
      env
        .fromSequence(1, 10)
        .name('src')
        .map((x) => x)
        .name('m')
        .startNewChain()
        .print('sink'),
    );
    expect(chains(g)).toEqual([['src'], ['m', 'sink']]);
  });

  it('does not chain across slot sharing groups, and successors inherit the group', () => {
    const g = plan((env) =>
      env
        .fromSequence(1, 10)
        .name('src')
        .map((x) => x)
        .name('m')
        .slotSharingGroup('heavy')
        .print('sink'),
    );
    expect(chains(g)).toEqual([['src'], ['m', 'sink']]);
    expect(g.vertices.map((v) => v.slotSharingGroup)).toEqual(['default', 'heavy']);
  });

  it('chains nothing when chaining is disabled for the job', () => {
    const g = plan(
      (env) =>
        env
          .fromSequence(1, 10)
          .name('src')
          .map((x) => x)
          .name('m')
          .print('sink'),
      { chaining: false },
    );
    expect(chains(g)).toEqual([['src'], ['m'], ['sink']]);
    expect(g.edges.every((e) => e.partitioner === 'forward')).toBe(true);
  });

  it('rejects forward() between different parallelisms', () => {
    expect(() =>
      plan((env) =>
        env
          .fromSequence(1, 10)
          .forward()
          .map((x) => x)
          .setParallelism(3),
      ),
    ).toThrow(/forward edge/);
  });
});

describe('two-input operators inside chains (the DAG extension)', () => {
  const twoSources = (env: StreamExecutionEnvironment): void => {
    const a = env.fromSequence(1, 10).name('a');
    const b = env.fromSequence(1, 10).name('b');
    a.connect(b)
      .map({ map1: (x) => x, map2: (y) => -y })
      .name('co')
      .print('sink');
  };

  it('puts both inputs and the two-input operator into one chain when enabled', () => {
    const g = plan(twoSources, { twoInputChaining: true });
    expect(chains(g)).toEqual([['a', 'b', 'co', 'sink']]);
    expect(g.vertices[0]!.chainedEdges.map((e) => `${e.input}`).sort()).toEqual(['0', '0', '1']);
  });

  it('keeps the two-input operator at a chain head when disabled', () => {
    const g = plan(twoSources, { twoInputChaining: false });
    expect(chains(g)).toEqual([['a'], ['b'], ['co', 'sink']]);
    expect(g.edges.map((e) => [e.targetInput, e.partitioner])).toEqual([
      [0, 'forward'],
      [1, 'forward'],
    ]);
  });

  it('chains a two-input operator in the middle of a chain with one network input', () => {
    const g = plan(
      (env) => {
        const main = env
          .fromSequence(1, 10)
          .name('main')
          .map((x) => x)
          .name('parse');
        const control = env.fromSequence(1, 3).name('control').setParallelism(1);
        main
          .connect(control.broadcast())
          .map({ map1: (x) => x, map2: (y) => y })
          .name('enrich')
          .map((x) => x)
          .name('after')
          .print('sink');
      },
      { parallelism: 2 },
    );
    expect(chains(g)).toEqual([['main', 'parse', 'enrich', 'after', 'sink'], ['control']]);
    expect(g.edges).toHaveLength(1);
    expect(g.edges[0]).toMatchObject({ partitioner: 'broadcast', targetInput: 1 });
  });

  it('chains union targets only with the extension', () => {
    const build = (env: StreamExecutionEnvironment): void => {
      env
        .fromSequence(1, 5)
        .name('x')
        .union(env.fromSequence(6, 9).name('y'))
        .map((v) => v)
        .name('m')
        .print('sink');
    };
    expect(chains(plan(build, { twoInputChaining: true }))).toEqual([['x', 'y', 'm', 'sink']]);
    expect(chains(plan(build, { twoInputChaining: false }))).toEqual([['x'], ['y'], ['m', 'sink']]);
  });

  it('never creates a cycle between chains', () => {
    // a -> c crosses the network; chaining co to a's chain would make a -> c -> a.
    const g = plan((env) => {
      const a = env
        .fromSequence(1, 10)
        .name('src')
        .map((x) => x)
        .name('a');
      const c = a
        .rebalance()
        .map((x) => x)
        .name('c');
      a.connect(c)
        .map({ map1: (x) => x, map2: (y) => y })
        .name('co')
        .print('sink');
    });
    expect(chains(g)).toEqual([
      ['src', 'a'],
      ['c', 'co', 'sink'],
    ]);
    const vertexOf = new Map(g.vertices.flatMap((v) => v.operators.map((o) => [o.name, v.id] as const)));
    for (const e of g.edges) expect(e.sourceVertex).not.toBe(e.targetVertex);
    expect(vertexOf.get('co')).toBe(vertexOf.get('c'));
  });
});

describe('job graph identity', () => {
  const job = (env: StreamExecutionEnvironment): void => {
    env
      .fromSequence(1, 100)
      .name('src')
      .keyBy((x) => x % 7)
      .sum()
      .uid('sums')
      .print();
  };

  it('is deterministic: same build, same ids and hash', () => {
    const a = plan(job);
    const b = plan(job);
    expect(a).toEqual(b);
    expect(a.graphHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('uses uid as the operator id and derives the others from the shape', () => {
    const g = plan(job);
    const ops = g.vertices.flatMap((v) => v.operators);
    expect(ops.find((o) => o.name === 'Sum')!.id).toBe('sums');
    expect(ops.find((o) => o.name === 'src')!.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes the hash when the shape or parallelism changes', () => {
    const base = plan(job).graphHash;
    expect(plan(job, { parallelism: 2 }).graphHash).not.toBe(base);
    expect(
      plan((env) =>
        env
          .fromSequence(1, 100)
          .map((x) => x)
          .print(),
      ).graphHash,
    ).not.toBe(base);
  });

  it('rejects duplicate uids and parallelism above max parallelism', () => {
    expect(() =>
      plan((env) =>
        env
          .fromSequence(1, 2)
          .uid('x')
          .map((v) => v)
          .uid('x'),
      ),
    ).toThrow(/uid 'x'/);
    expect(() => plan((env) => env.fromSequence(1, 2).setMaxParallelism(4).setParallelism(5))).toThrow(
      /greater than its max/,
    );
  });
});
