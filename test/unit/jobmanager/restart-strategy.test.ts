import {
  exponentialDelay,
  failureRate,
  fixedDelay,
  createRestartStrategy,
} from '../../../runtime/jobmanager/restart-strategy';
import { loadConfig } from '../../../runtime/config';

describe('restart strategies', () => {
  it('fixed delay: the same delay for N restarts, then none', () => {
    const s = fixedDelay(2, 500);
    expect([s.onFailure(0), s.onFailure(1), s.onFailure(2)]).toEqual([500, 500, undefined]);
  });

  it('exponential delay: grows by the multiplier up to the maximum, for N restarts', () => {
    const s = exponentialDelay(100, 350, 2, 4);
    expect([0, 1, 2, 3, 4].map((t) => s.onFailure(t))).toEqual([100, 200, 350, 350, undefined]);
  });

  it('failure rate: fails when more than N failures fall within the interval', () => {
    const s = failureRate(2, 1000, 10);
    expect(s.onFailure(0)).toBe(10);
    expect(s.onFailure(100)).toBe(10);
    expect(s.onFailure(200)).toBeUndefined(); // third failure within 1 s
    const t = failureRate(2, 1000, 10);
    expect([t.onFailure(0), t.onFailure(600), t.onFailure(1200), t.onFailure(1900)]).toEqual([
      10, 10, 10, 10,
    ]);
  });

  it('is chosen by restart-strategy.type with its keys', () => {
    const none = createRestartStrategy(
      loadConfig({ env: {}, overrides: { 'restart-strategy.type': 'none' } }),
    );
    expect(none.onFailure(0)).toBeUndefined();
    const fixed = createRestartStrategy(
      loadConfig({
        env: {},
        overrides: {
          'restart-strategy.fixed-delay.attempts': 1,
          'restart-strategy.fixed-delay.delay': '2 s',
        },
      }),
    );
    expect([fixed.onFailure(0), fixed.onFailure(1)]).toEqual([2000, undefined]);
  });
});
