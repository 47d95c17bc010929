#!/usr/bin/env node
// `npm run build` (and `prepack`): compiles runtime/ to dist/ with type declarations, then
// copies the files tsc does not emit: the task thread bootstrap and the Redis Lua scripts, and
// bundles the dashboard next to the module that serves it (an installed package has no app/ source).
'use strict';
const { execFileSync } = require('node:child_process');
const { cpSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
const assets = ['runtime/taskmanager/task-thread-bootstrap.js', 'runtime/coordination/redis/lua'];
for (const asset of assets) cpSync(join(root, asset), join(dist, asset), { recursive: true });
execFileSync(
  process.execPath,
  [
    '--import',
    'tsx',
    join(root, 'scripts/build-dashboard.ts'),
    '--outdir',
    join(dist, 'runtime/jobmanager/dashboard/static'),
  ],
  { stdio: 'inherit', cwd: root },
);
