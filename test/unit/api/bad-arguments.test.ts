import { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import { extremumByReducer, extremumReducer } from '../../../runtime/api/aggregations';
import { customPartition } from '../../../runtime/api/partitioners';
import { InvalidJobError } from '../../../runtime/errors';

/** Bad input to the new operations gets an InvalidJobError that names the problem. */
describe('clear errors for bad arguments', () => {
  const stream = () => new StreamExecutionEnvironment().fromCollection([{ k: 'a', price: 1 }]);

  it('map / flatMap / filter need a function or an object with that method', () => {
    expect(() => stream().map({} as never)).toThrow(
      /map\(\) needs a function or an object with a map\(\) method/,
    );
    expect(() => stream().filter({ map: () => true } as never)).toThrow(InvalidJobError);
    expect(() => stream().flatMap(42 as never)).toThrow(/flatMap\(\) needs/);
  });

  it('partitionCustom needs a partitioner and a key selector', () => {
    expect(() => stream().partitionCustom(undefined as never, (r) => r.k)).toThrow(
      /needs a partitioner function/,
    );
    expect(() => stream().partitionCustom(() => 0, 'k' as never)).toThrow(/needs a key selector/);
  });

  it('a custom partition must be an integer in range', () => {
    expect(customPartition((k) => Number(k), 2, 3)).toBe(2);
    for (const bad of [-1, 3, 1.5, NaN])
      expect(() => customPartition(() => bad, 'x', 3)).toThrow(
        new RegExp(`returned ${String(bad)} for key "x", but a partition is an integer from 0 to 2`),
      );
  });

  it('aggregation fields: positions are integers >= 0, names non-empty; first is a boolean', () => {
    const keyed = stream().keyBy((r) => r.k);
    expect(() => keyed.min(-1)).toThrow(/a tuple position is an integer >= 0/);
    expect(() => keyed.max('')).toThrow(/a tuple position, a field name or a selector/);
    expect(() => keyed.minBy('price', 'yes' as never)).toThrow(/'first' must be true or false/);
  });

  it('values that do not compare fail naming the aggregation and the types', () => {
    const min = extremumReducer<{ p: unknown }>('min', 'p');
    expect(() => min({ p: 1 }, { p: 'two' })).toThrow(
      /min\(p\): compares numbers, bigints or strings of one kind, got string and number/,
    );
    const maxBy = extremumByReducer<unknown[]>('max', 0, true);
    expect(() => maxBy([1], { 0: 2 } as never)).toThrow(
      /maxBy\(0\): records must be tuples \(arrays\), got object/,
    );
    expect(extremumReducer<bigint>('max', undefined)(3n, 5n)).toBe(5n);
  });
});
