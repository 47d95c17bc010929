import { ReleasedChannels } from '../../../runtime/network/released-channels';

describe('ReleasedChannels', () => {
  it('matches released ids and released attempt prefixes only', () => {
    const released = new ReleasedChannels();
    released.add('job/0/e/0-0');
    released.addPrefix('job/1/');
    expect(released.has('job/0/e/0-0')).toBe(true);
    expect(released.has('job/0/e/0-1')).toBe(false);
    expect(released.has('job/1/e/5-5')).toBe(true);
    expect(released.has('job/10/e/0-0')).toBe(false);
    expect(released.has('job/2/e/0-0')).toBe(false);
  });

  it('forgets an id on explicit re-registration and evicts the oldest beyond its bound', () => {
    const released = new ReleasedChannels(2, 1);
    released.add('a');
    released.forget('a');
    expect(released.has('a')).toBe(false);
    released.add('a');
    released.add('b');
    released.add('c');
    expect([released.has('a'), released.has('b'), released.has('c')]).toEqual([false, true, true]);
    released.addPrefix('p/');
    released.addPrefix('q/');
    expect([released.has('p/x'), released.has('q/x')]).toEqual([false, true]);
  });
});
