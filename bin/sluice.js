#!/usr/bin/env node
// The `sluice` command. tsx's require hook loads job modules written in TypeScript; in the
// repository it also runs the CLI from its TypeScript source (no build step after `npm ci`),
// while the installed package runs the compiled CLI from dist/.
require('tsx/cjs');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, '..', 'runtime', 'cli', 'main.ts');
const cli = existsSync(source) ? source : join(__dirname, '..', 'dist', 'runtime', 'cli', 'main.js');
require(cli)
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
