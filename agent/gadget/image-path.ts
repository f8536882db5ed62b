/**
 * Confines mass-storage image paths to the configured image directories. The check is made on
 * the resolved path (`realpath` of the file and of each directory), so `..` and symlinks cannot
 * lead the kernel's `lun.N/file` outside them; device nodes, FIFOs and directories are refused
 * because f_mass_storage would open them as a medium (fsg_lun_open accepts block devices).
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { AgentError, errnoOf, fromErrno } from '../errors';

async function realDirs(imageDirs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const dir of imageDirs) {
    try {
      out.push(await fsp.realpath(dir));
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw fromErrno(e, `image directory ${dir}`);
      // a missing image directory simply confines nothing
    }
  }
  return out;
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * The real path of `requested` if it is a regular file inside one of `imageDirs`.
 * A relative name is taken relative to the first image directory.
 * Errors: 'forbidden' (`..`, outside the directories, not a regular file), 'not-found',
 * 'bad-argument' (empty).
 */
export async function resolveImagePath(requested: string, imageDirs: readonly string[]): Promise<string> {
  if (requested === '' || requested.includes('\0')) throw new AgentError('bad-argument', 'empty or malformed image path');
  if (requested.split(/[\\/]/).includes('..')) throw new AgentError('forbidden', `image path ${requested}: '..' is not allowed`);
  const first = imageDirs[0];
  if (!path.isAbsolute(requested) && first === undefined) {
    throw new AgentError('forbidden', `image path ${requested}: no image directory is configured`);
  }
  const candidate = path.isAbsolute(requested) ? requested : path.join(first!, requested);

  let real: string;
  try {
    real = await fsp.realpath(candidate);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') throw new AgentError('not-found', `image ${requested} does not exist`, e);
    throw fromErrno(e, `image ${requested}`);
  }
  const dirs = await realDirs(imageDirs);
  if (!dirs.some((d) => isInside(real, d))) {
    throw new AgentError('forbidden', `image ${requested} resolves to ${real}, outside the image directories`);
  }
  const stat = await fsp.stat(real).catch((e: unknown) => {
    throw fromErrno(e, `image ${requested}`);
  });
  if (!stat.isFile()) throw new AgentError('forbidden', `image ${requested} is not a regular file`);
  return real;
}
