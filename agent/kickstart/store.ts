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
 *
 * Uploads are bounded (the run directory is RAM on a PiKVM, charged to the agent's memory): each
 * template by `templateBytes`, the upload directory by `uploads` templates and `uploadBytes` bytes
 * of files in all. An upload over a bound is refused whole (nothing is written) and names the
 * configuration key; replacing a template counts its new size instead of the old one. Uploaded files
 * are 0640 in a 0750 directory: only the agent (root) and its group read them.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { AgentError, errnoOf, fromErrno } from '../errors';
import type { Logger } from '../log';
import { isInside } from '../platform/inside';
import { parseTemplate } from './template';

export const TEMPLATE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const TEMPLATE_SUFFIX = '.cfg';

/** Bounds of templates and uploads (`kickstart.max_template_bytes`, `max_uploads`, `max_upload_bytes`). */
export interface KickstartLimits {
  /** One template, uploaded or read from `dir`. */
  templateBytes: number;
  /** Templates in the upload directory. */
  uploads: number;
  /** Bytes of all files in the upload directory together. */
  uploadBytes: number;
}

export const DEFAULT_LIMITS: Readonly<KickstartLimits> = Object.freeze({ templateBytes: 256 * 1024, uploads: 64, uploadBytes: 4 * 1024 * 1024 });

/** What the HTTP side needs: read a template by name. */
export interface KickstartTemplates {
  read(name: string): Promise<string>;
}

export interface KickstartStoreOptions {
  dir: string;
  uploadDir?: string | undefined;
  limits?: KickstartLimits | undefined;
  logger: Logger;
}

/** What the upload directory holds now: template sizes by name, and every file's bytes together. */
interface UploadUsage {
  templates: Map<string, number>;
  bytes: number;
}

function validateTemplateName(name: string): void {
  if (typeof name !== 'string' || !TEMPLATE_NAME.test(name)) {
    throw new AgentError('bad-argument', `not a template name (letters, digits, _ and -, at most 64): ${JSON.stringify(String(name).slice(0, 80))}`);
  }
}

export class KickstartStore implements KickstartTemplates {
  constructor(private readonly options: KickstartStoreOptions) {}

  private get limits(): KickstartLimits {
    return this.options.limits ?? DEFAULT_LIMITS;
  }

  /** The template's text. not-found, forbidden (escapes the directory), too-long, io. */
  async read(name: string): Promise<string> {
    validateTemplateName(name);
    for (const dir of this.searchDirs()) {
      const file = await this.resolve(dir, name);
      if (file !== null) return this.readFile(file);
    }
    throw new AgentError('not-found', `no kickstart template ${JSON.stringify(name)}`);
  }

  /**
   * Create or replace a template atomically. The body must be valid template text within the size
   * bound; in the upload directory the count and total bounds hold after the write, or nothing is
   * written: too-long (one template), no-space (count or total), bad-argument, io.
   */
  async set(name: string, body: string): Promise<void> {
    validateTemplateName(name);
    const bytes = Buffer.byteLength(body, 'utf8');
    const { templateBytes } = this.limits;
    if (bytes > templateBytes) {
      throw new AgentError('too-long', `template ${name} is ${bytes} bytes; the limit (kickstart.max_template_bytes) is ${templateBytes}`);
    }
    if (body.includes('\0')) throw new AgentError('bad-argument', `template ${name} contains a NUL byte`);
    parseTemplate(body); // refuse a template that could never render
    const dir = this.options.uploadDir ?? this.options.dir;
    const target = path.join(dir, name + TEMPLATE_SUFFIX);
    const temp = path.join(dir, `.${name}.${process.pid}.tmp`);
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o750 });
      if (this.options.uploadDir) this.checkRoom(name, bytes, await this.uploadUsage(this.options.uploadDir));
      await fs.writeFile(temp, body, { encoding: 'utf8', mode: 0o640, flag: 'wx' });
      // rename replaces a symlink at `target` itself; it never writes through it.
      await fs.rename(temp, target);
    } catch (e) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw fromErrno(e, `writing kickstart template ${name}`);
    }
    this.options.logger.info('kickstart template stored', { name, bytes, file: target });
  }

  /** Remove an uploaded template (templates in `dir` are the administrator's): not-found, io. */
  async delete(name: string): Promise<void> {
    validateTemplateName(name);
    const dir = this.options.uploadDir;
    if (!dir) throw new AgentError('not-supported', 'templates are deleted from the upload directory only, and none is configured');
    const file = path.join(dir, name + TEMPLATE_SUFFIX);
    try {
      await fs.unlink(file);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') throw new AgentError('not-found', `no uploaded kickstart template ${JSON.stringify(name)}`);
      throw fromErrno(e, `deleting kickstart template ${name}`);
    }
    this.options.logger.info('kickstart template deleted', { name, file });
  }

  /** no-space when storing `bytes` as `name` would exceed the count or total bound of the uploads. */
  private checkRoom(name: string, bytes: number, usage: UploadUsage): void {
    const { uploads, uploadBytes } = this.limits;
    const replaced = usage.templates.get(name);
    const count = usage.templates.size + (replaced === undefined ? 1 : 0);
    const total = usage.bytes - (replaced ?? 0) + bytes;
    const hint = 'free room with kickstart delete NAME';
    if (count > uploads) {
      throw new AgentError('no-space', `${usage.templates.size} uploaded templates, the limit (kickstart.max_uploads) is ${uploads}; ${hint}`);
    }
    if (total > uploadBytes) {
      throw new AgentError(
        'no-space',
        `template ${name} (${bytes} bytes) would make the uploads ${total} bytes, the limit (kickstart.max_upload_bytes) is ${uploadBytes}; ${hint}`,
      );
    }
  }

  /**
   * Sizes in the upload directory, from the directory itself (so files left by an earlier run count
   * too). Temporary files of another process are what a crash left behind: they are removed.
   */
  private async uploadUsage(dir: string): Promise<UploadUsage> {
    const usage: UploadUsage = { templates: new Map(), bytes: 0 };
    for (const entry of await fs.readdir(dir)) {
      const file = path.join(dir, entry);
      const stale = /^\.[A-Za-z0-9_-]+\.(\d+)\.tmp$/.exec(entry);
      if (stale && Number(stale[1]) !== process.pid) {
        await fs.rm(file, { force: true });
        continue;
      }
      const stat = await fs.lstat(file).catch(() => null); // gone since readdir: nothing to count
      if (!stat?.isFile()) continue;
      usage.bytes += stat.size;
      const template = entry.endsWith(TEMPLATE_SUFFIX) ? entry.slice(0, -TEMPLATE_SUFFIX.length) : '';
      if (TEMPLATE_NAME.test(template)) usage.templates.set(template, stat.size);
    }
    return usage;
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
      const { templateBytes } = this.limits;
      if (stat.size > templateBytes) {
        throw new AgentError('too-long', `${file} is ${stat.size} bytes; the limit (kickstart.max_template_bytes) is ${templateBytes}`);
      }
      return await handle.readFile('utf8');
    } catch (e) {
      throw fromErrno(e, `reading ${file}`);
    } finally {
      await handle?.close();
    }
  }
}
