/**
 * One daemon per run directory. A second `serve` must not touch anything the live one owns: its
 * crash recovery would give the live lease's devices back to kvmd under a running test. The
 * daemon therefore takes an exclusive flock(2) on `<run_dir>/agent.lock` before anything else.
 *
 * flock(2), not a pid file: the lock belongs to the open file description, so the kernel drops it
 * when the holder exits in any way, `kill -9` and OOM kills included; there is no stale state to
 * judge. Node has no flock, so it is called through libc.ts on the descriptor Node opened (libuv opens
 * every file O_CLOEXEC, so helpers the agent spawns — systemctl — never inherit the lock). The
 * holder writes its pid into the file after locking, for the message a second instance prints; the
 * pid is information only, never what decides. The file is never removed: unlinking a lock file
 * lets two processes lock two different inodes under the same name.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AgentError, fromErrnoWorded } from '../errors';
import { errnoError } from './errno';
import { systemLibc } from './libc';

export const LOCK_FILE_NAME = 'agent.lock';

/** The outcome of one non-blocking exclusive lock attempt on a descriptor. */
type LockAttempt = 'locked' | 'held-elsewhere';

/** flock(fd, LOCK_EX | LOCK_NB); throws an ErrnoError for anything but "held elsewhere". */
export type TryLock = (fd: number) => LockAttempt;

// <sys/file.h>, the same on every Linux architecture.
const LOCK_EX = 2;
const LOCK_NB = 4;

/** The real flock(2) (libc is bound on first use, so importing this module never loads the native addon). */
const systemTryLock: TryLock = (fd) => {
  const r = systemLibc().flock(fd, LOCK_EX | LOCK_NB);
  if (r.ok) return 'locked';
  if (r.errno === 'EAGAIN') return 'held-elsewhere'; // EWOULDBLOCK, the same number on Linux
  throw errnoError(r.errno, 'flock');
};

export class InstanceLock {
  private handle: fs.FileHandle | null = null;

  constructor(
    readonly file: string,
    private readonly tryLock: TryLock = systemTryLock,
  ) {}

  /** Take the lock or throw `busy` naming the holder's pid. Never waits. */
  async acquire(): Promise<void> {
    if (this.handle) return;
    let handle: fs.FileHandle;
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o755 });
      // Not truncated on open: until we hold the lock, the pid in it is the holder's.
      handle = await fs.open(this.file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    } catch (e) {
      throw fromErrnoWorded(e, `lock ${this.file}`);
    }
    try {
      if (this.tryLock(handle.fd) === 'held-elsewhere') {
        const holder = (await handle.readFile('utf8')).trim();
        throw new AgentError('busy', `another pikvm-agent (pid ${/^\d+$/.test(holder) ? holder : 'unknown'}) holds ${this.file}`);
      }
      await handle.truncate(0);
      await handle.write(`${process.pid}\n`, 0);
    } catch (e) {
      await handle.close();
      throw fromErrnoWorded(e, `lock ${this.file}`);
    }
    this.handle = handle;
  }

  /** Let the next instance start. The file stays (see above); its pid goes so nobody is misled. */
  async release(): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    this.handle = null;
    await handle.truncate(0).catch(() => undefined);
    await handle.close();
  }
}
