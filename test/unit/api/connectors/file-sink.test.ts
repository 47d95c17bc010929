import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSink } from '../../../../runtime/api/connectors/file-sink';
import type { SinkWriter, SinkWriterContext } from '../../../../runtime/api/sink';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-file-sink-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writer(
  options: Partial<SinkWriterContext> & { checkpointing: boolean },
  out = dir,
): SinkWriter<unknown> {
  return fileSink<unknown>(out).createWriter({
    subtaskIndex: 0,
    parallelism: 1,
    taskManagerId: 'test-tm',
    jobId: 'job1',
    emitOutput: () => undefined,
    emitResult: () => undefined,
    ...options,
  });
}

/** What `<dir>/part-*` matches. */
const committed = (d = dir): string[] =>
  readdirSync(d)
    .filter((f) => f.startsWith('part-'))
    .sort();
const read = (name: string): string => readFileSync(join(dir, name), 'utf8');

describe('file sink with checkpointing (two-phase commit)', () => {
  it('stages at prepareCommit and shows the part only after commit', async () => {
    const w = writer({ checkpointing: true });
    w.write('a');
    w.write({ n: 1 });
    expect(committed()).toEqual([]);
    const committables = w.prepareCommit!(3);
    expect(committables).toEqual([{ staged: '.part-job1-0-3.txt.pending', final: 'part-job1-0-3.txt' }]);
    expect(committed()).toEqual([]);
    expect(existsSync(join(dir, '.part-job1-0-3.txt.pending'))).toBe(true);
    w.write('after the barrier');
    await w.commit!(committables);
    expect(committed()).toEqual(['part-job1-0-3.txt']);
    expect(read('part-job1-0-3.txt')).toBe('a\n{"n":1}\n');
    // The record after the barrier belongs to the next checkpoint.
    const next = w.prepareCommit!(4);
    await w.commit!(next);
    expect(read('part-job1-0-4.txt')).toBe('after the barrier\n');
    expect(w.prepareCommit!(5)).toEqual([]); // nothing written: no empty part
    await w.close!();
    expect(readdirSync(dir).sort()).toEqual(['part-job1-0-3.txt', 'part-job1-0-4.txt']);
  });

  it('commits idempotently: again after a restore, with the staged file already gone', async () => {
    const w = writer({ checkpointing: true });
    w.write('x');
    const committables = w.prepareCommit!(1);
    await w.commit!(committables);
    // A restored attempt commits the checkpoint's committables again.
    const restored = writer({ checkpointing: true });
    await restored.commit!(committables);
    await restored.commit!(committables);
    expect(committed()).toEqual(['part-job1-0-1.txt']);
    expect(read('part-job1-0-1.txt')).toBe('x\n');
  });

  it('recovery commits what a failed attempt staged but never committed', async () => {
    const failed = writer({ checkpointing: true });
    failed.write('staged before the failure');
    const committables = failed.prepareCommit!(7);
    failed.write('lost with the failure');
    await failed.close!(); // the task failed: no commit, the in-progress part is dropped
    expect(committed()).toEqual([]);
    expect(readdirSync(dir)).toEqual(['.part-job1-0-7.txt.pending']);
    const restored = writer({ checkpointing: true });
    await restored.commit!(committables);
    expect(committed()).toEqual(['part-job1-0-7.txt']);
    expect(read('part-job1-0-7.txt')).toBe('staged before the failure\n');
  });

  it('refuses a lost staged file and a committable that is not its own', async () => {
    const w = writer({ checkpointing: true });
    w.write('x');
    const committables = w.prepareCommit!(2);
    rmSync(join(dir, '.part-job1-0-2.txt.pending'));
    await expect(w.commit!(committables)).rejects.toThrow(/neither it nor its staged file .*was lost/);
    await expect(w.commit!([{ staged: '../../etc/passwd', final: 'part-job1-0-2.txt' }])).rejects.toThrow(
      /not a committable of this sink/,
    );
    await expect(w.commit!([{ staged: '.x.pending', final: '../x' }])).rejects.toThrow(/not a committable/);
  });
});

describe('file sink without checkpointing', () => {
  it('writes hidden and commits after finish, at close', async () => {
    const w = writer({ checkpointing: false });
    for (let i = 0; i < 20_000; i++) w.write(`line ${i}`);
    expect(readdirSync(dir)).toEqual(['.part-job1-0.inprogress']);
    w.finish!();
    expect(committed()).toEqual([]);
    await w.close!();
    expect(readdirSync(dir)).toEqual(['part-job1-0-0.txt']);
    const lines = read('part-job1-0-0.txt').trimEnd().split('\n');
    expect(lines).toHaveLength(20_000);
    expect(lines[19_999]).toBe('line 19999');
  });

  it('leaves nothing behind when closed without finish (failure or cancel)', async () => {
    const w = writer({ checkpointing: false });
    for (let i = 0; i < 20_000; i++) w.write(`line ${i}`);
    await w.close!();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('names parts per run: a rerun beside another run overwrites nothing', async () => {
    writeFileSync(join(dir, 'part-2.txt'), 'an old run at another parallelism\n');
    for (const [jobId, subtaskIndex] of [
      ['runA', 0],
      ['runA', 1],
      ['runB', 0],
    ] as const) {
      const w = writer({ checkpointing: false, jobId, subtaskIndex, parallelism: 2 });
      w.write(`${jobId}/${subtaskIndex}`);
      w.finish!();
      await w.close!();
    }
    expect(committed()).toEqual([
      'part-2.txt',
      'part-runA-0-0.txt',
      'part-runA-1-0.txt',
      'part-runB-0-0.txt',
    ]);
    expect(read('part-runA-1-0.txt')).toBe('runA/1\n');
    expect(read('part-2.txt')).toBe('an old run at another parallelism\n');
  });

  it('a failed attempt rerun by the same job replaces its own hidden part', async () => {
    const first = writer({ checkpointing: false });
    first.write('first attempt');
    await first.close!();
    const second = writer({ checkpointing: false });
    second.write('second attempt');
    second.finish!();
    await second.close!();
    expect(readdirSync(dir)).toEqual(['part-job1-0-0.txt']);
    expect(read('part-job1-0-0.txt')).toBe('second attempt\n');
  });

  it('creates the directory and names the TaskManager when it cannot write', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const w = writer({ checkpointing: false }, join(file, 'out'));
    expect(() => {
      w.write('x');
      w.finish!();
    }).toThrow(/cannot write .*a-file\/out.* on TaskManager test-tm/);
    expect(() => writer({ checkpointing: false, jobId: '../x' })).toThrow(/run id/);
  });
});
