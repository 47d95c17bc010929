#!/usr/bin/env node
// The npm registry mirror these machines use lacks some platform builds (for example
// @swc/core-darwin-arm64), so `npm install` writes a lockfile whose entries declare optional
// dependencies it could not record, and `npm ci` then refuses it as out of sync. This drops
// such unrecordable optional dependencies from the lockfile's entries. Run it after changing
// dependencies: `npm install && node scripts/prune-lockfile-optionals.js`.
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const present = new Set(Object.keys(lock.packages).map((p) => p.replace(/^.*node_modules\//, '')));
let pruned = 0;
for (const entry of Object.values(lock.packages)) {
  if (!entry.optionalDependencies) continue;
  for (const name of Object.keys(entry.optionalDependencies)) {
    if (!present.has(name)) {
      delete entry.optionalDependencies[name];
      pruned++;
    }
  }
}
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`pruned ${pruned} unrecordable optional dependencies from package-lock.json`);
