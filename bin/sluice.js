#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's require hook, so no build step is needed after `npm ci`.
require('tsx/cjs');
require('../runtime/cli/main.ts')
  .main(process.argv)
  .then((code) => { process.exitCode = code; })
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
