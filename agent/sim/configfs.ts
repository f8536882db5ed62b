/**
 * An in-memory configfs holding `usb_gadget/`, following the kernel's rules rather than a plain
 * directory tree (fs/configfs/dir.c, symlink.c; drivers/usb/gadget/configfs.c):
 * - mkdir of a gadget, string table, config, function or LUN creates its attribute files and
 *   default groups; mkdir anywhere else is EPERM.
 * - attribute files cannot be unlinked (EPERM); rmdir succeeds on a directory that lists only
 *   attributes and empty default groups; default groups cannot be removed (EPERM); child
 *   directories or links → ENOTEMPTY; a directory some link points at → EBUSY
 *   (configfs_detach_prep checks `s_links`).
 * - writing a path that does not exist is ENOENT (no file creation).
 * What mkdir creates for each gadget directory, and the `UDC` attribute, live in kernel-gadget.ts;
 * bind/unbind are reported to the simulated kernel through `SimUdcHooks`.
 */
import { errnoError } from '../platform/errno';
import type { ConfigFs, ConfigFsEntry } from '../gadget/configfs';
import { StoreError, type SimFunctionState } from './kernel-attributes';
import {
  SimGadgetRegistry,
  newDir,
  split,
  type DirNode,
  type Node,
  type SimConfigFsOptions,
  type SimGadgetState,
} from './kernel-gadget';

export type { SimConfigFsOptions, SimGadgetState, SimLinkedFunction, SimUdcHooks } from './kernel-gadget';

export class SimConfigFs implements ConfigFs {
  readonly description = 'simulated configfs';
  private readonly root = newDir('root', true);
  private readonly registry: SimGadgetRegistry;

  constructor(options: SimConfigFsOptions) {
    this.registry = new SimGadgetRegistry(options);
    this.root.children.set('usb_gadget', newDir('subsystem', true));
  }

  // ----- lookups -----

  private lookup(path: string, syscall: string): Node {
    let node: Node = this.root;
    for (const part of split(path)) {
      if (node.kind === 'link') node = node.target;
      if (node.kind !== 'dir') throw errnoError('ENOTDIR', syscall, path);
      const next: Node | undefined = node.children.get(part);
      if (next === undefined) throw errnoError('ENOENT', syscall, path);
      node = next;
    }
    return node;
  }

  private parentOf(path: string, syscall: string): { parent: DirNode; name: string } {
    const parts = split(path);
    const name = parts.pop();
    if (name === undefined) throw errnoError('EEXIST', syscall, path);
    let parent = this.lookup(parts.join('/'), syscall);
    if (parent.kind === 'link') parent = parent.target;
    if (parent.kind !== 'dir') throw errnoError('ENOTDIR', syscall, path);
    return { parent, name };
  }


  /** Gadget state by name, for the simulated kernel. */
  gadget(name: string): SimGadgetState | undefined {
    return this.registry.gadget(name);
  }

  allGadgets(): SimGadgetState[] {
    return this.registry.allGadgets();
  }

  /** The function state `usb_gadget/<g>/functions/<f>`, for the simulated kernel. */
  functionState(gadget: string, fn: string): SimFunctionState | undefined {
    return this.registry.functionState(gadget, fn);
  }

  // ----- ConfigFs -----

  async exists(path: string): Promise<boolean> {
    try {
      this.lookup(path, 'lstat');
      return true;
    } catch {
      return false;
    }
  }

  async list(path: string): Promise<ConfigFsEntry[]> {
    let node = this.lookup(path, 'scandir');
    if (node.kind === 'link') node = node.target;
    if (node.kind !== 'dir') throw errnoError('ENOTDIR', 'scandir', path);
    return [...node.children.entries()]
      .map(([name, n]) => ({ name, kind: n.kind }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async readBytes(path: string): Promise<Uint8Array> {
    const node = this.lookup(path, 'open');
    if (node.kind !== 'file') throw errnoError('EISDIR', 'read', path);
    if (!node.attr.show) throw errnoError('EACCES', 'open', path);
    const v = node.attr.show();
    return typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'utf8')) : v;
  }

  async read(path: string): Promise<string> {
    return Buffer.from(await this.readBytes(path)).toString('utf8');
  }

  async write(path: string, value: string | Uint8Array): Promise<void> {
    const node = this.lookup(path, 'open');
    if (node.kind !== 'file') throw errnoError('EISDIR', 'open', path);
    if (!node.attr.store) throw errnoError('EACCES', 'open', path);
    const bytes = typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'utf8')) : value;
    try {
      await node.attr.store(Buffer.from(bytes).toString('utf8'), bytes);
    } catch (e) {
      if (e instanceof StoreError) throw errnoError(e.errno, 'write', path);
      throw e;
    }
  }

  async mkdir(path: string): Promise<void> {
    const { parent, name } = this.parentOf(path, 'mkdir');
    if (parent.children.has(name)) throw errnoError('EEXIST', 'mkdir', path);
    const made = this.registry.make(parent, name, path);
    parent.children.set(name, made);
  }

  async rmdir(path: string): Promise<void> {
    const { parent, name } = this.parentOf(path, 'rmdir');
    const node = parent.children.get(name);
    if (node === undefined) throw errnoError('ENOENT', 'rmdir', path);
    if (node.kind !== 'dir') throw errnoError('ENOTDIR', 'rmdir', path);
    if (node.isDefault) throw errnoError('EPERM', 'rmdir', path);
    const busy = this.detachCheck(node);
    if (busy) throw errnoError(busy, 'rmdir', path);
    this.registry.drop(node, name);
    parent.children.delete(name);
  }

  async symlink(target: string, link: string): Promise<void> {
    const { parent, name } = this.parentOf(link, 'symlink');
    if (parent.children.has(name)) throw errnoError('EEXIST', 'symlink', link);
    let t = this.lookup(target, 'symlink');
    if (t.kind === 'link') t = t.target;
    if (t.kind !== 'dir') throw errnoError('ENOTDIR', 'symlink', target);
    const gadget = this.registry.ownerGadget(link);
    if (parent.role === 'config') {
      // config_usb_cfg_link: the target must be a function of this same gadget.
      if (t.role !== 'function' || this.registry.ownerGadget(target) !== gadget || !t.fn) throw errnoError('EINVAL', 'symlink', link);
      for (const c of parent.children.values()) if (c.kind === 'link' && c.target === t) throw errnoError('EEXIST', 'symlink', link);
      t.fn.refcnt++;
    } else if (parent.role === 'os_desc') {
      // os_desc_link: one config of this gadget.
      if (t.role !== 'config' || this.registry.ownerGadget(target) !== gadget) throw errnoError('EINVAL', 'symlink', link);
      if ([...parent.children.values()].some((c) => c.kind === 'link')) throw errnoError('EBUSY', 'symlink', link);
    } else {
      throw errnoError('EPERM', 'symlink', link);
    }
    t.linkCount++;
    parent.children.set(name, { kind: 'link', target: t, targetPath: split(target).join('/') });
  }

  async unlink(path: string): Promise<void> {
    const { parent, name } = this.parentOf(path, 'unlink');
    const node = parent.children.get(name);
    if (node === undefined) throw errnoError('ENOENT', 'unlink', path);
    if (node.kind === 'dir') throw errnoError('EISDIR', 'unlink', path);
    if (node.kind === 'file') throw errnoError('EPERM', 'unlink', path); // configfs_unlink: links only
    if (parent.role === 'config') {
      // config_usb_cfg_unlink unbinds a bound gadget before dropping the function.
      const gadget = this.registry.ownerGadget(path);
      if (gadget) this.registry.unbindGadget(gadget);
      if (node.target.fn) node.target.fn.refcnt--;
    }
    node.target.linkCount--;
    parent.children.delete(name);
  }

  // ----- kernel rules -----

  /** configfs_detach_prep: EBUSY when linked to, ENOTEMPTY for child items or links. */
  private detachCheck(dir: DirNode): string | null {
    if (dir.linkCount > 0) return 'EBUSY';
    for (const child of dir.children.values()) {
      if (child.kind === 'file') continue;
      if (child.kind === 'link') return 'ENOTEMPTY';
      if (!child.isDefault) return 'ENOTEMPTY';
      const inner = this.detachCheck(child);
      if (inner) return inner;
    }
    return null;
  }

}
