import {
  formatBytes,
  formatDurationMs,
  parseDurationMs,
  parseMemoryBytes,
  parseMemoryMb,
} from '../../../runtime/config/parse-units';

function value(result: ReturnType<typeof parseDurationMs>): number {
  if (!result.ok) throw new Error(`expected a value, got: ${result.reason}`);
  return result.value;
}

describe('parseDurationMs', () => {
  it.each([
    [250, 250],
    [0, 0],
    ['250', 250],
    ['100 ms', 100],
    ['100ms', 100],
    ['10 s', 10_000],
    ['1.5 s', 1500],
    ['0.1 s', 100],
    ['5 min', 300_000],
    ['5m', 300_000],
    ['2 minutes', 120_000],
    ['1 h', 3_600_000],
    ['1 HOUR', 3_600_000],
    ['2d', 172_800_000],
    ['  7 sec  ', 7000],
  ])('%p -> %p ms', (input, expected) => {
    expect(value(parseDurationMs(input))).toBe(expected);
  });

  it.each([
    ['10 parsecs', /unknown unit 'parsecs'/],
    ['-5 s', /non-negative number/],
    [-5, />= 0/],
    ['ten seconds', /non-negative number/],
    ['', /non-negative number/],
    ['0.5 ms', /whole number of milliseconds/],
    [1.5, /whole number of milliseconds/],
    [Number.NaN, /finite/],
    [true, /not a number or a string/],
    [{ s: 1 }, /not a number or a string/],
    ['1 s 500 ms', /non-negative number/],
  ])('rejects %p', (input, reason) => {
    const result = parseDurationMs(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('parseMemoryMb', () => {
  it.each([
    [512, 512],
    ['512', 512],
    ['512 mb', 512],
    ['512MB', 512],
    ['256m', 256],
    ['1 gb', 1024],
    ['1g', 1024],
    ['1.5 gb', 1536],
    ['2048 kb', 2],
    ['1 tb', 1024 * 1024],
    ['1 GiB', 1024],
  ])('%p -> %p MB', (input, expected) => {
    expect(value(parseMemoryMb(input))).toBe(expected);
  });

  it.each([
    ['100 kb', /whole number of MBs/],
    ['12 zb', /unknown unit 'zb'/],
    ['lots', /non-negative number/],
    [-1, />= 0/],
    [[512], /not a number or a string/],
  ])('rejects %p', (input, reason) => {
    const result = parseMemoryMb(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('parseMemoryBytes', () => {
  it.each([
    [32768, 32768],
    ['32768', 32768],
    ['32 kb', 32768],
    ['32k', 32768],
    ['1 mb', 1_048_576],
    ['100 b', 100],
    ['100 bytes', 100],
  ])('%p -> %p bytes', (input, expected) => {
    expect(value(parseMemoryBytes(input))).toBe(expected);
  });

  it('rejects fractions of a byte', () => {
    const result = parseMemoryBytes('0.5 b');
    expect(result).toEqual({ ok: false, reason: 'must be a whole number of bytes' });
  });
});

describe('formatting for the docs', () => {
  it('picks the largest unit that divides the value', () => {
    expect(formatDurationMs(100)).toBe('100 ms');
    expect(formatDurationMs(0)).toBe('0 ms');
    expect(formatDurationMs(1000)).toBe('1 s');
    expect(formatDurationMs(1500)).toBe('1500 ms');
    expect(formatDurationMs(300_000)).toBe('5 min');
    expect(formatDurationMs(7_200_000)).toBe('2 h');
    expect(formatBytes(32768)).toBe('32 kb');
    expect(formatBytes(1_048_576)).toBe('1 mb');
    expect(formatBytes(1000)).toBe('1000 b');
  });

  it('round-trips: a formatted value parses back to itself', () => {
    for (const ms of [0, 1, 100, 1000, 60_000, 90_000, 3_600_000])
      expect(value(parseDurationMs(formatDurationMs(ms)))).toBe(ms);
    for (const bytes of [1, 1024, 32768, 1_048_576, 3 * 1024 ** 3])
      expect(value(parseMemoryBytes(formatBytes(bytes)))).toBe(bytes);
  });
});
