/**
 * Checks for string-valued keys whose values end up in names other systems enforce (S3 bucket
 * names, object key prefixes, queue names). Each returns why a value is rejected, or undefined.
 */

const BUCKET_CHARS = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The S3 general-purpose bucket naming rules. */
export function s3BucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!BUCKET_CHARS.test(name)) {
    return 'may hold only lowercase letters, digits, dots and hyphens, and must start and end with a letter or digit';
  }
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (IPV4.test(name)) return 'must not look like an IP address';
  if (name.startsWith('xn--') || name.startsWith('sthree-')) return 'uses a prefix S3 reserves';
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3')) return 'uses a suffix S3 reserves';
  return undefined;
}

/**
 * An object key prefix inside the bucket. Everything Sluice writes lives under it, so it must
 * not climb out (`..`) or start at the root (`/`); control characters and backslashes are
 * refused because S3 consoles and tools render them badly.
 */
export function s3PrefixProblem(prefix: string): string | undefined {
  if (prefix.startsWith('/')) return "must not start with '/'";
  if (prefix.includes('..')) return "must not contain '..'";
  if (/[\u0000-\u001f\u007f\\]/.test(prefix)) return 'must not contain control characters or backslashes';
  if (prefix.length > 512) return 'must be at most 512 characters long';
  return undefined;
}

/** A prefix for Redis keys or SQS queue names: letters, digits, `-`, `_`, at most 40 characters. */
export function namePrefixProblem(prefix: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(prefix)) return 'must be 1 to 40 letters, digits, hyphens or underscores';
  return undefined;
}

/** A prefix for Redis keys: like `namePrefixProblem`, plus `:` and `.` so `app:sluice` works. */
export function redisKeyPrefixProblem(prefix: string): string | undefined {
  if (!/^[A-Za-z0-9_:.-]{1,64}$/.test(prefix)) return 'must be 1 to 64 letters, digits or - _ : .';
  return undefined;
}
