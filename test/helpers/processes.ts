import { promises as fs } from 'node:fs';

/** True while `pid` is a live process (a zombie awaiting its reaper counts as ended). Linux /proc. */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name, is the state.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * The pids of every live process descending from `pid` (children, grandchildren…). Linux /proc:
 * it reads the `children` list of each thread of the tree and the state of the processes found,
 * never files of unrelated processes. (It used to read every process's `stat`; a read of an
 * unrelated process in the middle of exiting can block for minutes, and each blocked read holds
 * one of libuv's four threadpool threads, stalling every file operation of the test process.)
 */
export async function descendants(pid: number): Promise<number[]> {
  const found: number[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of await childrenOf(next)) {
      if (!(await isRunning(child))) continue;
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Direct children of `pid`: the union of its threads' `children` lists (gone: none). */
async function childrenOf(pid: number): Promise<number[]> {
  let threads: string[];
  try {
    threads = await fs.readdir(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children = new Set<number>();
  for (const tid of threads) {
    try {
      const list = await fs.readFile(`/proc/${pid}/task/${tid}/children`, 'utf8');
      for (const child of list.split(' ').filter(Boolean)) children.add(Number(child));
    } catch {
      // The thread ended while we looked.
    }
  }
  return [...children];
}
