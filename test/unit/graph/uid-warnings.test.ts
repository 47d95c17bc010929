import { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import { MapStateDescriptor } from '../../../runtime/state/state-descriptors';
import { createJobGraph } from '../../../runtime/graph/job-graph';
import { streamGraphFromEnvironment } from '../../../runtime/graph/stream-graph';
import { missingUidWarning } from '../../../runtime/graph/uid-warnings';

function warningFor(build: (env: StreamExecutionEnvironment) => void): string | undefined {
  const env = new StreamExecutionEnvironment({});
  build(env);
  return missingUidWarning(createJobGraph(streamGraphFromEnvironment('test', env)));
}

describe('the missing-uid warning at submit', () => {
  it('names every source and keyed operator without a uid, and only those', () => {
    const warning = warningFor((env) =>
      env
        .fromCollection([1, 2, 3])
        .name('numbers')
        .map((n) => n + 1)
        .name('plus-one')
        .keyBy((n) => n % 2)
        .reduce((a, b) => a + b)
        .name('sums')
        .map(String)
        .name('format')
        .print(),
    );
    expect(warning).toContain("'numbers' (source), 'sums' (reduce).");
    expect(warning).not.toContain('plus-one');
    expect(warning).not.toContain('format');
    expect(warning).toContain('.uid(');
  });

  it('names a non-keyed broadcast process operator: its broadcast state is matched by id too', () => {
    const rules = new MapStateDescriptor<string, number>('rules');
    const warning = warningFor((env) => {
      const broadcast = env.fromCollection([1]).uid('rules').broadcast(rules);
      env
        .fromCollection([2])
        .uid('items')
        .connect(broadcast)
        .process({ processElement: () => undefined, processBroadcastElement: () => undefined })
        .name('apply-rules')
        .print();
    });
    expect(warning).toContain("operators with state but no uid: 'apply-rules' (broadcastProcess).");
  });

  it('is silent when every stateful operator has a uid, or there is none', () => {
    expect(
      warningFor((env) =>
        env
          .fromCollection([1, 2, 3])
          .uid('numbers')
          .keyBy((n) => n % 2)
          .reduce((a, b) => a + b)
          .uid('sums')
          .print(),
      ),
    ).toBeUndefined();
  });
});
