// Task threads run TypeScript (the runtime and job modules) through tsx's require hook.
require('tsx/cjs');
require('./task-worker.ts');
