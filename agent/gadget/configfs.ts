/**
 * The narrow interface to the configfs tree the gadget lives in. Paths are relative to the
 * configfs root (e.g. `usb_gadget/pikvm-agent/idVendor`). Failures are thrown as errno-shaped
 * errors (`err.code` = 'EBUSY', 'ENOENT', …) exactly as the kernel reports them; the applier
 * translates them once.
 *
 * Implementations: `NodeConfigFs` (real, over `fs`, root injectable) and the simulated
 * PiKVM's in-memory tree (`agent/sim/configfs.ts`) that follows the kernel's rules.
 */
export type ConfigFsEntryKind = 'dir' | 'file' | 'link';

export interface ConfigFsEntry {
  name: string;
  kind: ConfigFsEntryKind;
}

export interface ConfigFs {
  /** For logs only: where this tree is. */
  readonly description: string;
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  read(path: string): Promise<string>;
  /** The raw bytes of an attribute (binary attributes such as `report_desc`). */
  readBytes(path: string): Promise<Uint8Array>;
  /** One `write()` of the whole value: configfs hands each write call to the attribute's store. */
  write(path: string, value: string | Uint8Array): Promise<void>;
  /** Create `link` pointing at `target` (both relative to the root). */
  symlink(target: string, link: string): Promise<void>;
  unlink(link: string): Promise<void>;
  /** Entries of a directory, sorted by name. Throws ENOENT when absent. */
  list(path: string): Promise<ConfigFsEntry[]>;
  exists(path: string): Promise<boolean>;
}
