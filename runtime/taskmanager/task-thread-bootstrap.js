// Task threads load the runtime (TypeScript in the repository, compiled JavaScript in the
// installed package: hence no extension) and job modules, which may be TypeScript, through
// tsx's require hook.
require('tsx/cjs');
require('./task-worker');
