import { ConfigError } from '../errors';

/** Checks and normalizes a REST base URL (http or https, no trailing slash). */
export function normalizeRestUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`'${url}' is not a URL (expected e.g. http://127.0.0.1:8081)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(`'${url}' is not an http:// or https:// URL`);
  }
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    throw new ConfigError(
      `'${url}' must not carry credentials, a query or a fragment (pass the token with --token)`,
    );
  }
  return parsed.href.replace(/\/+$/, '');
}
