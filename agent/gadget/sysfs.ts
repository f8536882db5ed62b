/**
 * The tiny read-only view of sysfs the gadget needs (`class/udc`, `class/udc/<udc>/state`).
 * Paths are relative to the sysfs root; the real implementation is rooted at `Paths.sysfsRoot`,
 * the simulated kernel provides its own.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

export interface SysFs {
  /** Contents of an attribute file. Throws errno-shaped errors (ENOENT…). */
  read(path: string): Promise<string>;
  /** Entry names of a directory, sorted. Throws ENOENT when absent. */
  list(path: string): Promise<string[]>;
}

export class NodeSysFs implements SysFs {
  constructor(private readonly root: string) {}

  async read(p: string): Promise<string> {
    return fsp.readFile(path.join(this.root, p), 'utf8');
  }

  async list(p: string): Promise<string[]> {
    return (await fsp.readdir(path.join(this.root, p))).sort();
  }
}
