import type { z } from 'zod';

/**
 * One line per issue, each naming its field: `vertices[0].parallelism: Too small: expected…`.
 * `prefix` names the whole value (`jobGraph`), so nested schemas read naturally.
 */
export function describeIssues(error: z.ZodError, prefix = '', limit = 5): string {
  // Messages may quote client input (unrecognized keys): bound them, the text goes back to the client.
  const lines = error.issues
    .slice(0, limit)
    .map((issue) => `${issuePath(prefix, issue.path)}: ${clip(issue.message, 300)}`);
  if (error.issues.length > limit) lines.push(`(and ${error.issues.length - limit} more)`);
  return lines.join('; ');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function issuePath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    // A client's key may be huge: keep the message readable.
    else out += `[${JSON.stringify(clip(String(key), 64))}]`;
  }
  return out || '(root)';
}
