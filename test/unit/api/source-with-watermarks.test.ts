import { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import { WatermarkStrategy } from '../../../runtime/api/event-time/watermark-strategy';
import { sequenceSource } from '../../../runtime/api/connectors/collection-sources';
import { createJobGraph } from '../../../runtime/graph/job-graph';
import { streamGraphFromEnvironment } from '../../../runtime/graph/stream-graph';
import { missingUidWarning } from '../../../runtime/graph/uid-warnings';

/**
 * `fromSource(source, name, strategy)` is one stream to its user, as Flink's DataStreamSource
 * with watermarks generated in the source: `uid`, `setParallelism` and the other operator
 * settings on it reach the source (whose read positions are state), not only the timestamps
 * operator behind it.
 */
describe('fromSource with a watermark strategy', () => {
  function build(configure: (env: StreamExecutionEnvironment) => void) {
    const env = new StreamExecutionEnvironment();
    env.setParallelism(4);
    configure(env);
    const graph = createJobGraph(streamGraphFromEnvironment('source-settings', env));
    const ops = graph.vertices.flatMap((v) => v.operators.map((o) => ({ ...o, vertex: v })));
    return {
      graph,
      source: ops.find((o) => o.kind === 'source')!,
      stamps: ops.find((o) => o.kind === 'timestamps')!,
    };
  }

  it('uid and parallelism set on the stream reach the source, which stays chained to its watermarks', () => {
    const { graph, source, stamps } = build((env) =>
      env
        .fromSource(sequenceSource(1, 100), 'numbers', WatermarkStrategy.forMonotonousTimestamps<number>())
        .uid('numbers-src')
        .setParallelism(2)
        .setMaxParallelism(64)
        .print(),
    );
    expect(source.uid).toBe('numbers-src');
    expect(stamps.uid).not.toBe('numbers-src');
    expect(source.vertex.parallelism).toBe(2);
    expect(source.maxParallelism).toBe(64);
    expect(stamps.vertex).toBe(source.vertex);
    expect(missingUidWarning(graph)).toBeUndefined();
  });

  it('without a strategy the stream is the source itself, as before', () => {
    const { source } = build((env) =>
      env.fromSource(sequenceSource(1, 10), 'plain').uid('plain-src').print(),
    );
    expect(source.uid).toBe('plain-src');
  });

  it('name renames the source; startNewChain keeps the watermarks chained to it', () => {
    const { source, stamps } = build((env) =>
      env
        .fromSource(sequenceSource(1, 10), 'n', WatermarkStrategy.forMonotonousTimestamps<number>())
        .name('renamed')
        .startNewChain()
        .print(),
    );
    expect(source.name).toBe('renamed');
    expect(stamps.name).toBe('Timestamps/Watermarks');
    expect(stamps.vertex).toBe(source.vertex);
  });

  it('disableChaining cuts after the watermarks, which stay chained to their source', () => {
    const { graph, source, stamps } = build((env) =>
      env
        .fromSource(sequenceSource(1, 10), 'n', WatermarkStrategy.forMonotonousTimestamps<number>())
        .disableChaining()
        .map((n) => n + 1)
        .print(),
    );
    expect(stamps.vertex).toBe(source.vertex);
    const map = graph.vertices.find((v) => v.operators.some((o) => o.kind === 'map'))!;
    expect(map).not.toBe(source.vertex);
    expect(map.operators.map((o) => o.kind)).toEqual(['map', 'sink']);
  });
});
