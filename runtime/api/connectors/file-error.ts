/**
 * A file that cannot be opened, named by its absolute path and the TaskManager that looked:
 * on a cluster, a relative path is resolved in that TaskManager's working directory.
 */
export function fileError(
  action: 'read' | 'write',
  absolute: string,
  taskManagerId: string,
  cause: unknown,
): Error {
  const code = (cause as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : String(cause);
  return new Error(`cannot ${action} ${absolute} on TaskManager ${taskManagerId}: ${reason}`, { cause });
}
