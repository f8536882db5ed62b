/**
 * Path confinement: whether a resolved path lies strictly below a resolved directory. A name that
 * merely starts with two dots (`..foo.img`) is inside; only a `..` component leaves.
 */
import path from 'node:path';

export function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
