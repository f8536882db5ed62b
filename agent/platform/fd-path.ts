/**
 * Files named to the kernel by descriptor instead of by path. `/proc/self/fd/N` is a "magic link":
 * opening it does not look the old name up again but jumps to the very file descriptor N refers to
 * (fs/proc/fd.c proc_fd_link, fs/namei.c nd_jump_link), so a name swapped for a symlink after we
 * checked the file cannot redirect the kernel. `/proc/self` is the writer's process: a configfs
 * store runs in the context of the thread that writes (any thread of ours shares the fd table).
 */
import { promises as fs } from 'node:fs';

/**
 * O_PATH: a descriptor that locates a file without opening it for I/O, so a device node or a FIFO a
 * path leads to is never opened (no side effect, no blocking) while it is being checked; fstat and
 * the /proc magic link work on it. Node has no constant for it; 010000000 is the asm-generic value,
 * which x86_64, arm and arm64 use (include/uapi/asm-generic/fcntl.h).
 */
export const O_PATH = 0o10000000;

/** The magic-link name of our descriptor `fd`. */
export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** The path of the file `fd` refers to, as the kernel's d_path gives it (symlinks resolved). */
export function openedPath(fd: number): Promise<string> {
  return fs.readlink(fdPath(fd));
}
