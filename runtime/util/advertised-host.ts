import { networkInterfaces } from 'node:os';

/**
 * The address other machines use to reach this process: the configured one, or for `auto`
 * this machine's first non-loopback IPv4 address (a container's own address on ECS), falling
 * back to 127.0.0.1 when it has none.
 */
export function advertisedHost(configured: string): string {
  if (configured !== 'auto') return configured;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** A listen address that means "every interface": clients cannot dial it. */
export function isWildcardAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '[::]';
}
