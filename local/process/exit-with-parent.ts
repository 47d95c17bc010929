/**
 * A module for `node --import <this URL>` in children started with an IPC channel
 * (`StartProcessOptions.ipc`). When the channel closes — the parent died, even by SIGKILL —
 * the child sends itself SIGTERM, so a server shuts down as gracefully as when it is stopped,
 * and exits at the latest 10 s later. No orphan outlives a crashed launcher or test worker.
 * The channel is unref'd so it never keeps a finished child alive.
 */
const SOURCE = `
process.on('disconnect', () => {
  setTimeout(() => process.exit(1), 10000).unref();
  process.kill(process.pid, 'SIGTERM');
});
process.channel?.unref();
`;

export const EXIT_WITH_PARENT_IMPORT = `data:text/javascript,${encodeURIComponent(SOURCE)}`;
