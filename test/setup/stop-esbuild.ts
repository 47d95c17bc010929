import { stop } from 'esbuild';

// Jest gives every test file its own module registry, so each file that bundles a job starts its
// own esbuild service process; without this they all live until the jest worker exits (over a
// hundred by the end of a run, about 20 MB each). Stopping it after the file ends its service;
// a file that never bundled has none to stop.
afterAll(async () => {
  await stop();
});
