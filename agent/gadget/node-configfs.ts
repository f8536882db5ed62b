/**
 * The real `ConfigFs`: configfs through `fs/promises`, rooted at an injectable directory
 * (`Paths.configfsRoot` in production). Errors are passed through errno-shaped, untranslated:
 * the applier translates them once.
 */
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { ConfigFs, ConfigFsEntry, ConfigFsEntryKind } from './configfs';

export class NodeConfigFs implements ConfigFs {
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = `configfs at ${root}`;
  }

  private abs(rel: string): string {
    return path.join(this.root, rel);
  }

  async mkdir(p: string): Promise<void> {
    await fsp.mkdir(this.abs(p));
  }

  async rmdir(p: string): Promise<void> {
    await fsp.rmdir(this.abs(p));
  }

  async read(p: string): Promise<string> {
    return fsp.readFile(this.abs(p), 'utf8');
  }

  async readBytes(p: string): Promise<Uint8Array> {
    return new Uint8Array(await fsp.readFile(this.abs(p)));
  }

  /**
   * O_WRONLY without O_CREAT: configfs attributes exist or not (ENOENT), write-only attributes
   * such as `forced_eject` refuse O_RDWR, and the whole value goes in one write() call because
   * configfs passes each call to the attribute's store (fs/configfs/file.c).
   */
  async write(p: string, value: string | Uint8Array): Promise<void> {
    const handle = await fsp.open(this.abs(p), constants.O_WRONLY);
    try {
      const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      await handle.write(data, 0, data.length, null);
    } finally {
      await handle.close();
    }
  }

  async symlink(target: string, link: string): Promise<void> {
    await fsp.symlink(this.abs(target), this.abs(link));
  }

  async unlink(link: string): Promise<void> {
    await fsp.unlink(this.abs(link));
  }

  async list(p: string): Promise<ConfigFsEntry[]> {
    const entries = await fsp.readdir(this.abs(p), { withFileTypes: true });
    const kind = (e: { isDirectory(): boolean; isSymbolicLink(): boolean }): ConfigFsEntryKind =>
      e.isSymbolicLink() ? 'link' : e.isDirectory() ? 'dir' : 'file';
    return entries.map((e) => ({ name: e.name, kind: kind(e) })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async exists(p: string): Promise<boolean> {
    try {
      await fsp.lstat(this.abs(p));
      return true;
    } catch {
      return false;
    }
  }
}
