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
