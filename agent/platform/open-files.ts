/**
 * The process's file-descriptor budget as the kernel sees it: the soft RLIMIT_NOFILE (what
 * `ulimit -n` and systemd's `LimitNOFILE=` set; proc(5) /proc/pid/limits) and how many descriptors
 * are open right now (/proc/pid/fd). Node has no getrlimit; procfs needs no native call.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fromErrno } from '../errors';

const PROC_SELF = '/proc/self';

/** The soft limit from the text of /proc/pid/limits; null when unlimited or absent. */
export function parseOpenFileLimit(limits: string): number | null {
  const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
  return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : null;
}

/** The soft RLIMIT_NOFILE of this process; null when unlimited. */
export async function openFileLimit(procSelf = PROC_SELF): Promise<number | null> {
  const file = path.join(procSelf, 'limits');
  try {
    return parseOpenFileLimit(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw fromErrno(e, `reading ${file}`);
  }
}

/** Descriptors this process has open now (not counting the one that lists them). */
export async function openFileCount(procSelf = PROC_SELF): Promise<number> {
  const dir = path.join(procSelf, 'fd');
  try {
    return (await fs.readdir(dir)).length - 1;
  } catch (e) {
    throw fromErrno(e, `reading ${dir}`);
  }
}
