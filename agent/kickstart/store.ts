/**
 * Kickstart templates on disk: `<dir>/<name>.cfg`, names `[A-Za-z0-9_-]{1,64}` only (no dots, so no
 * `..` and no hidden files), resolved with realpath and refused when the result lies outside the
 * directory (a symlink pointing out). Symlinks that stay inside (`ks.cfg -> fedora-40.cfg`) are fine.
 *
 * Uploads (`set`, behind the control socket's `kickstart set NAME`) go to `uploadDir` when one is
 * given, else to `dir`; reads look in `uploadDir` first. PiKVM's root file system is mounted
 * read-only outside maintenance, so per-job templates belong in the run directory (tmpfs), while the
 * shipped templates stay in /etc. Writes are atomic (temp file + rename in the same directory), so an
 * installer fetching during an upload gets the old or the new file, never half of one.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { AgentError, errnoOf, fromErrno } from '../errors';
import type { Logger } from '../log';
import { parseTemplate } from './template';

export const TEMPLATE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const TEMPLATE_SUFFIX = '.cfg';
export const MAX_TEMPLATE_BYTES = 256 * 1024;

/** What the HTTP side needs: read a template by name. */
export interface KickstartTemplates {
  read(name: string): Promise<string>;
}

export interface KickstartStoreOptions {
  dir: string;
  uploadDir?: string | undefined;
  logger: Logger;
}

export function validateTemplateName(name: string): void {
  if (typeof name !== 'string' || !TEMPLATE_NAME.test(name)) {
    throw new AgentError('bad-argument', `not a template name (letters, digits, _ and -, at most 64): ${JSON.stringify(String(name).slice(0, 80))}`);
  }
}

function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

export class KickstartStore implements KickstartTemplates {
  constructor(private readonly options: KickstartStoreOptions) {}

  /** The template's text. not-found, forbidden (escapes the directory), too-long, io. */
  async read(name: string): Promise<string> {
    validateTemplateName(name);
    for (const dir of this.searchDirs()) {
      const file = await this.resolve(dir, name);
      if (file !== null) return this.readFile(file);
    }
    throw new AgentError('not-found', `no kickstart template ${JSON.stringify(name)}`);
  }

  /** Create or replace a template atomically. The body must be valid template text. */
  async set(name: string, body: string): Promise<void> {
    validateTemplateName(name);
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > MAX_TEMPLATE_BYTES) {
      throw new AgentError('too-long', `template ${name} is ${bytes} bytes; the limit is ${MAX_TEMPLATE_BYTES}`);
    }
    if (body.includes('\0')) throw new AgentError('bad-argument', `template ${name} contains a NUL byte`);
    parseTemplate(body); // refuse a template that could never render
    const dir = this.options.uploadDir ?? this.options.dir;
    const target = path.join(dir, name + TEMPLATE_SUFFIX);
    const temp = path.join(dir, `.${name}.${process.pid}.tmp`);
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o755 });
      await fs.writeFile(temp, body, { encoding: 'utf8', mode: 0o644, flag: 'wx' });
      // rename replaces a symlink at `target` itself; it never writes through it.
      await fs.rename(temp, target);
    } catch (e) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw fromErrno(e, `writing kickstart template ${name}`);
    }
    this.options.logger.info('kickstart template stored', { name, bytes, file: target });
  }

  /** Names of the templates available, sorted. */
  async list(): Promise<string[]> {
    const names = new Set<string>();
    for (const dir of this.searchDirs()) {
      let entries: string[] = [];
      try {
        entries = await fs.readdir(dir);
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT') throw fromErrno(e, `listing ${dir}`);
      }
      for (const entry of entries) {
        const name = entry.endsWith(TEMPLATE_SUFFIX) ? entry.slice(0, -TEMPLATE_SUFFIX.length) : '';
        if (TEMPLATE_NAME.test(name)) names.add(name);
      }
    }
    return [...names].sort();
  }

  private searchDirs(): string[] {
    return this.options.uploadDir ? [this.options.uploadDir, this.options.dir] : [this.options.dir];
  }

  /** The real path of `<dir>/<name>.cfg`, null when absent; forbidden when it resolves outside `dir`. */
  private async resolve(dir: string, name: string): Promise<string | null> {
    let realDir: string;
    let realFile: string;
    try {
      realDir = await fs.realpath(dir);
      realFile = await fs.realpath(path.join(dir, name + TEMPLATE_SUFFIX));
    } catch (e) {
      if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return null;
      throw fromErrno(e, `resolving kickstart template ${name}`);
    }
    if (!isInside(realDir, realFile)) {
      this.options.logger.warn('kickstart template resolves outside its directory', { name, target: realFile });
      throw new AgentError('forbidden', `kickstart template ${JSON.stringify(name)} points outside ${dir}`);
    }
    return realFile;
  }

  private async readFile(file: string): Promise<string> {
    let handle;
    try {
      // O_NOFOLLOW: `file` is already the real path; a symlink swapped in since is refused (ELOOP).
      handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
      const stat = await handle.stat();
      if (!stat.isFile()) throw new AgentError('forbidden', `${file} is not a regular file`);
      if (stat.size > MAX_TEMPLATE_BYTES) {
        throw new AgentError('too-long', `${file} is ${stat.size} bytes; the limit is ${MAX_TEMPLATE_BYTES}`);
      }
      return await handle.readFile('utf8');
    } catch (e) {
      throw fromErrno(e, `reading ${file}`);
    } finally {
      await handle?.close();
    }
  }
}
