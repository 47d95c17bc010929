import { join } from 'node:path';
import { intArg } from '../../../functions/job-args';
import { prepareJob } from '../../../runtime/client/prepare-job';

const FUNCTIONS = join(__dirname, '..', '..', '..', 'functions');

describe('integer job arguments of the example jobs', () => {
  it('reads an integer, falls back to the default, and refuses anything else by name', () => {
    expect(intArg({ n: '42' }, 'n', 7)).toBe(42);
    expect(intArg({}, 'n', 7)).toBe(7);
    expect(intArg({ n: '-3' }, 'n', 7, -10)).toBe(-3);
    for (const bad of ['abc', '', ' ', '1.5', '1e400', '-1'])
      expect(() => intArg({ n: bad }, 'n', 7)).toThrow(`--arg n must be an integer >= 0, got '${bad}'`);
    expect(() => intArg({ n: '0' }, 'n', 7, 1)).toThrow("--arg n must be an integer >= 1, got '0'");
  });

  it.each([
    ['hash-join.ts', { orders: 'many' }, /--arg orders must be an integer >= 0, got 'many'/],
    ['broadcast-rules.ts', { sensors: '0' }, /--arg sensors must be an integer >= 1, got '0'/],
    ['async-enrich.ts', { url: 'http://127.0.0.1:1/x', capacity: 'ten' }, /--arg capacity must be/],
    ['interval-join.ts', { lower: 'x' }, /--arg lower must be an integer/],
    ['bid-windows.ts', { auctions: '0' }, /--arg auctions must be an integer >= 1/],
  ])('%s refuses %j when the job is built', (file, args, message) => {
    expect(() => prepareJob(join(FUNCTIONS, file), args, {})).toThrow(message);
  });
});
