import { Worker } from 'node:worker_threads';
import { taskThreadExecArgv } from '../../../runtime/taskmanager/task-thread-script';

describe('task thread Node options', () => {
  it('leave out the flags that load modules before the script, in either spelling, and keep the rest', () => {
    expect(
      taskThreadExecArgv([
        '--import',
        'tsx',
        '--max-semi-space-size=16',
        '--require=./preload.js',
        '-r',
        'dotenv/config',
        '--enable-source-maps',
        '--loader',
        'ts-node/esm',
        '--experimental-loader=x.mjs',
        '--cpu-prof',
      ]),
    ).toEqual(['--max-semi-space-size=16', '--enable-source-maps', '--cpu-prof']);
  });

  it('are options a worker thread starts with', async () => {
    const execArgv = taskThreadExecArgv(['--import', 'tsx', '--trace-warnings']);
    const worker = new Worker("require('node:worker_threads').parentPort.postMessage(process.execArgv)", {
      eval: true,
      execArgv,
    });
    const seen = await new Promise<string[]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(seen).toEqual(['--trace-warnings']);
  });
});
