/**
 * Errors shaped like Node's system errors (`err.code` = errno name). Fakes of kernel interfaces
 * throw these so that callers translate real and fake failures through the same `fromErrno`.
 */
export interface ErrnoError extends Error {
  code: string;
  syscall?: string;
  path?: string;
}

export function errnoError(code: string, syscall: string, path?: string): ErrnoError {
  const err = new Error(`${code}: ${syscall}${path === undefined ? '' : ` '${path}'`}`) as ErrnoError;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

/**
 * errno number → name, from koffi's `os.errno` table. Aliases share a number (EWOULDBLOCK = EAGAIN,
 * EDEADLOCK = EDEADLK, EOPNOTSUPP = ENOTSUP): the first name listed is the canonical one callers
 * compare against (koffi lists EAGAIN before EWOULDBLOCK).
 */
export function errnoNameTable(errno: Record<string, number>): Map<number, string> {
  const names = new Map<number, string>();
  for (const [name, n] of Object.entries(errno)) if (!names.has(n)) names.set(n, name);
  return names;
}
