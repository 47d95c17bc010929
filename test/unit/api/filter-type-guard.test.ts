import { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import type { DataStream } from '../../../runtime/api/data-stream';
import { createJobGraph } from '../../../runtime/graph/job-graph';
import { streamGraphFromEnvironment } from '../../../runtime/graph/stream-graph';

/*
 * Type-level checks (`npm run typecheck` compiles this file): a type-guard filter narrows the
 * stream's type, a plain predicate does not. Each `@ts-expect-error` fails the typecheck if the
 * line below it ever compiles, i.e. if narrowing stopped working.
 */
type Event = { kind: 'click'; x: number } | { kind: 'view'; page: string };
const isClick = (e: Event): e is Extract<Event, { kind: 'click' }> => e.kind === 'click';

function typeChecks(events: DataStream<Event>): void {
  const clicks = events.filter(isClick);
  clicks.map((c) => c.x + 1); // narrowed: `x` exists
  // @ts-expect-error -- a click has no `page`
  clicks.map((c) => c.page);

  const strings = events.map((e): string | number => (e.kind === 'view' ? e.page : e.x));
  const onlyStrings: DataStream<string> = strings.filter((v): v is string => typeof v === 'string');
  void onlyStrings;

  // A rich filter object with a type-guard method narrows too.
  const richClicks = events.filter({
    filter: (e: Event): e is Extract<Event, { kind: 'click' }> => isClick(e),
  });
  richClicks.map((c) => c.x);

  // (Not `e.kind === 'click'`: TypeScript infers that arrow as a type guard by itself.)
  const plain = events.filter((e) => e.kind === 'click' && e.x > 0);
  // @ts-expect-error -- a boolean predicate keeps the union type
  plain.map((c) => c.x);
  // @ts-expect-error -- nor can its result be taken as the narrow type
  const wrong: DataStream<Extract<Event, { kind: 'click' }>> = plain;
  void wrong;
}

describe('filter with a type guard', () => {
  it('narrows at compile time and builds an ordinary filter operator', () => {
    const env = new StreamExecutionEnvironment();
    const events = env.fromCollection<Event>([]);
    typeChecks(events);
    const narrowed = events.filter(isClick);
    const graph = createJobGraph(streamGraphFromEnvironment('types', env));
    expect(narrowed.transformation.kind).toBe('filter');
    expect(graph.vertices.flatMap((v) => v.operators.map((o) => o.kind))).toContain('filter');
  });
});
