// @ts-check
const os = require('node:os');
const path = require('node:path');

/**
 * A jest reporter for failures that come from the machine rather than the code: for each test
 * file that failed, it prints how long the file ran, the load average when it ended, and the
 * files that ran beside it (in the other worker) with their times. CI machines are shared and
 * a test that takes 100 times its usual time there is most often starved by a neighbour; this
 * names the neighbour.
 */
class NeighboursReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    /** @type {Map<string, { start: number, end?: number, failed?: boolean, load?: number[] }>} */
    this.files = new Map();
  }

  onTestFileStart(test) {
    this.files.set(test.path, { start: Date.now() });
  }

  onTestFileResult(test, result) {
    const file = this.files.get(test.path) ?? { start: Date.now() };
    file.end = Date.now();
    file.failed = result.numFailingTests > 0 || result.testExecError !== undefined;
    if (file.failed) file.load = os.loadavg();
    this.files.set(test.path, file);
  }

  onRunComplete() {
    const failed = [...this.files].filter(([, f]) => f.failed);
    if (failed.length === 0) return;
    const lines = [
      '',
      'Test files that ran beside each failed one (to tell a starved test from a broken one):',
    ];
    for (const [name, f] of failed) {
      const end = f.end ?? Date.now();
      const load = (f.load ?? []).map((l) => l.toFixed(1)).join(' ');
      lines.push(`  ${this.relative(name)}: ${seconds(end - f.start)}, load average at its end ${load}`);
      for (const [other, o] of this.files) {
        const otherEnd = o.end ?? Date.now();
        if (other === name || otherEnd < f.start || o.start > end) continue;
        const from = seconds(o.start - f.start);
        lines.push(
          `    beside it: ${this.relative(other)} (from ${from} for ${seconds(otherEnd - o.start)})`,
        );
      }
    }
    process.stderr.write(`${lines.join('\n')}\n`);
  }

  relative(file) {
    return path.relative(this.rootDir, file);
  }
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

module.exports = NeighboursReporter;
