import type { MapAsyncOptions } from '../../../runtime/api';
import { StreamExecutionEnvironment } from '../../../runtime/api';
import { InvalidJobError } from '../../../runtime/errors';
import { streamGraphFromEnvironment } from '../../../runtime/graph/stream-graph';

const square = (v: number): Promise<number> => Promise.resolve(v * v);

function mapAsync(fn: unknown, options: unknown): void {
  const env = new StreamExecutionEnvironment();
  env
    .fromSequence(1, 3)
    .mapAsync(fn as typeof square, options as MapAsyncOptions<number, number>)
    .print();
}

describe('mapAsync arguments', () => {
  it.each([
    [undefined, /mapAsync\(\) needs options with timeoutMs/],
    [{}, /timeoutMs must be a number > 0 \(or Infinity\), got undefined/],
    [{ timeoutMs: 0 }, /timeoutMs must be a number > 0 \(or Infinity\), got 0/],
    [{ timeoutMs: Number.NaN }, /timeoutMs must be a number > 0/],
    [{ timeoutMs: 100, capacity: 0 }, /capacity must be an integer from 1 to 1000000, got 0/],
    [{ timeoutMs: 100, capacity: 2.5 }, /capacity must be an integer from 1 to 1000000, got 2.5/],
    [{ timeoutMs: 100, ordered: 'yes' }, /ordered must be true or false, got yes/],
    [{ timeoutMs: 100, onTimeout: -1 }, /onTimeout must be a function/],
  ])('refuses options %p with an error naming the problem', (options, message) => {
    expect(() => mapAsync(square, options)).toThrow(InvalidJobError);
    expect(() => mapAsync(square, options)).toThrow(message);
  });

  it('refuses a function that is not one', () => {
    expect(() => mapAsync('http://x', { timeoutMs: 100 })).toThrow(/mapAsync\(\) needs a function/);
  });

  it('adds one operator of its own kind, named Async Map unless named', () => {
    const env = new StreamExecutionEnvironment();
    env.fromSequence(1, 3).mapAsync(square, { timeoutMs: Infinity, capacity: 1, ordered: false }).print();
    const graph = streamGraphFromEnvironment('async', env);
    const node = graph.nodes.find((n) => n.kind === 'mapAsync');
    expect(node?.name).toBe('Async Map');
  });
});
