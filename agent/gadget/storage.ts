/**
 * Media in the mass-storage function's LUNs (`functions/mass_storage.usb0/lun.N`).
 *
 * f_mass_storage refuses `ro` and `cdrom` changes while a file is attached (EBUSY,
 * storage_common.c fsg_store_ro/fsg_store_cdrom), so every change runs eject → flags → file.
 * Eject uses `forced_eject` where it exists (Linux ≥ 6.0; detaches even when the host has locked
 * the medium with PREVENT ALLOW MEDIUM REMOVAL), else writes an empty path to `file`.
 */
import { AgentError, fromErrno } from '../errors';
import type { Logger } from '../log';
import { applyAll } from './apply';
import type { ConfigFs } from './configfs';
import { resolveImagePath } from './image-path';
import { gadgetPath } from './plan';
import { STORAGE_FUNCTION } from './spec';

export interface MassStorageDeps {
  configfs: ConfigFs;
  gadgetName: string;
  luns: number;
  /** Directories images may come from (checked after resolving symlinks). */
  imageDirs: readonly string[];
  logger: Logger;
}

export interface AttachFlags {
  cdrom: boolean;
  readOnly: boolean;
}

export interface LunStatus {
  lun: number;
  file: string | null;
  cdrom: boolean;
  readOnly: boolean;
}

export class MassStorage {
  constructor(private readonly deps: MassStorageDeps) {}

  private lunDir(lun: number): string {
    if (!Number.isInteger(lun) || lun < 0 || lun >= this.deps.luns) {
      throw new AgentError('bad-argument', `LUN ${lun} does not exist (0..${this.deps.luns - 1})`);
    }
    return gadgetPath(this.deps.gadgetName, 'functions', STORAGE_FUNCTION, `lun.${lun}`);
  }

  private async readAttr(dir: string, name: string): Promise<string> {
    try {
      return (await this.deps.configfs.read(`${dir}/${name}`)).replace(/\n$/, '');
    } catch (e) {
      throw fromErrno(e, `read ${dir}/${name}`);
    }
  }

  /** Attach `imagePath` (confined to the image directories) with the given flags. */
  async attach(lun: number, imagePath: string, flags: AttachFlags): Promise<LunStatus> {
    const dir = this.lunDir(lun);
    const real = await resolveImagePath(imagePath, this.deps.imageDirs);
    await this.eject(lun);
    await applyAll(
      this.deps.configfs,
      [
        { verb: 'WRITE', path: `${dir}/cdrom`, value: flags.cdrom ? '1' : '0' },
        { verb: 'WRITE', path: `${dir}/ro`, value: flags.readOnly ? '1' : '0' },
        { verb: 'WRITE', path: `${dir}/file`, value: real },
      ],
      this.deps.logger,
    );
    return this.lunStatus(lun);
  }

  /** Detach the medium; a no-op when none is attached. */
  async eject(lun: number): Promise<void> {
    const dir = this.lunDir(lun);
    if ((await this.readAttr(dir, 'file')) === '') return;
    const forced = await this.deps.configfs.exists(`${dir}/forced_eject`);
    const op = forced
      ? { verb: 'WRITE' as const, path: `${dir}/forced_eject`, value: '1' }
      : { verb: 'WRITE' as const, path: `${dir}/file`, value: '\n' };
    try {
      await applyAll(this.deps.configfs, [op], this.deps.logger);
    } catch (e) {
      if (e instanceof AgentError && e.code === 'busy') {
        throw new AgentError('busy', `LUN ${lun}: the host has locked the medium and this kernel has no forced_eject`, e);
      }
      throw e;
    }
  }

  async lunStatus(lun: number): Promise<LunStatus> {
    const dir = this.lunDir(lun);
    const file = await this.readAttr(dir, 'file');
    return {
      lun,
      file: file === '' ? null : file,
      cdrom: (await this.readAttr(dir, 'cdrom')) === '1',
      readOnly: (await this.readAttr(dir, 'ro')) === '1',
    };
  }

  async status(): Promise<LunStatus[]> {
    const out: LunStatus[] = [];
    for (let lun = 0; lun < this.deps.luns; lun++) out.push(await this.lunStatus(lun));
    return out;
  }
}
