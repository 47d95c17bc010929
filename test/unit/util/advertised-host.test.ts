import { networkInterfaces } from 'node:os';
import { advertisedHost, isWildcardAddress } from '../../../runtime/util/advertised-host';

describe('advertisedHost', () => {
  it('keeps a configured address and resolves auto to a non-loopback IPv4 of this machine', () => {
    expect(advertisedHost('10.1.2.3')).toBe('10.1.2.3');
    const own = Object.values(networkInterfaces())
      .flatMap((a) => a ?? [])
      .filter((a) => a.family === 'IPv4' && !a.internal)
      .map((a) => a.address);
    const resolved = advertisedHost('auto');
    if (own.length === 0) expect(resolved).toBe('127.0.0.1');
    else expect(own).toContain(resolved);
  });

  it('knows the listen addresses no client can dial', () => {
    expect(['0.0.0.0', '::', '[::]'].map(isWildcardAddress)).toEqual([true, true, true]);
    expect(['127.0.0.1', '10.0.0.5', 'jobmanager.local'].map(isWildcardAddress)).toEqual([
      false,
      false,
      false,
    ]);
  });
});
