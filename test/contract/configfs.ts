/**
 * The configfs contract: the kernel rules the gadget code relies on. Run against the simulated
 * configfs in test/unit/sim and against real configfs (dummy_hcd in QEMU) in the kernel tier.
 * Each case builds its own gadget under a unique name and removes it afterwards.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import type { ConfigFs } from '../../agent/gadget/configfs';
import { applyEach, observeGadget } from '../../agent/gadget/apply';
import { planTeardown } from '../../agent/gadget/plan';
import { silentLogger } from '../../agent/log';
import { fdPath, O_PATH } from '../../agent/platform/fd-path';
import { ETOOSMALL } from '../../agent/sim/backing-file';

export interface ConfigFsFixture {
  fs: ConfigFs;
  /** A UDC that exists and that nothing else holds. */
  udc: string;
  /**
   * An existing regular file of at least 1 MiB that can back a LUN, by its real path (the kernel
   * reads back d_path), in a writable directory the cases may add files to.
   */
  imageFile: string;
  /** A path that does not exist. */
  missingFile: string;
  /** Release whatever the factory set up (temp files, modules). */
  close(): Promise<void>;
}

export type ConfigFsFactory = () => Promise<ConfigFsFixture>;

/** The errno a promise rejects with ('' when it resolves). */
export async function errnoOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return '';
  } catch (e) {
    return String((e as { code?: unknown }).code ?? 'not an errno error');
  }
}

async function names(fs: ConfigFs, path: string, kind?: 'dir' | 'file' | 'link'): Promise<string[]> {
  return (await fs.list(path)).filter((e) => kind === undefined || e.kind === kind).map((e) => e.name);
}

/** Remove a gadget entry by entry (what a half-built gadget needs). */
export async function removeGadget(fs: ConfigFs, name: string): Promise<void> {
  for (let pass = 0; pass < 3; pass++) {
    const observed = await observeGadget(fs, name);
    if (observed === null) return;
    await applyEach(fs, planTeardown(observed), silentLogger);
  }
}

/** A bindable gadget with one mass-storage function (no HID minors used) linked into c.1. */
async function storageGadget(fs: ConfigFs, g: string): Promise<void> {
  await fs.mkdir(g);
  await fs.write(`${g}/idVendor`, '0x1d6b');
  await fs.write(`${g}/idProduct`, '0x0104');
  await fs.mkdir(`${g}/configs/c.1`);
  await fs.mkdir(`${g}/functions/mass_storage.ct`);
  await fs.symlink(`${g}/functions/mass_storage.ct`, `${g}/configs/c.1/mass_storage.ct`);
}

let serial = 0;

export function configFsContract(t: Test, factory: ConfigFsFactory): void {
  const withGadget = (name: string, body: (f: ConfigFsFixture, g: string, t: Test) => Promise<void>) =>
    t.test(name, async (t) => {
      const f = await factory();
      const gadgetName = `contract-${process.pid}-${++serial}`;
      const g = `usb_gadget/${gadgetName}`;
      try {
        await body(f, g, t);
      } finally {
        await removeGadget(f.fs, gadgetName);
        await f.close();
      }
    });

  withGadget('mkdir of a gadget creates its attributes and default groups', async (f, g, t) => {
    await f.fs.mkdir(g);
    const files = await names(f.fs, g, 'file');
    for (const a of ['idVendor', 'idProduct', 'bcdDevice', 'bcdUSB', 'bDeviceClass', 'UDC', 'max_speed']) {
      t.ok(files.includes(a), `${a} exists`);
    }
    const dirs = await names(f.fs, g, 'dir');
    for (const d of ['configs', 'functions', 'strings', 'os_desc']) t.ok(dirs.includes(d), `${d}/ exists`);
    t.equal(await f.fs.read(`${g}/UDC`), '\n', 'UDC reads empty while unbound');
  });

  withGadget('mkdir of strings, config and functions creates their attributes', async (f, g, t) => {
    await f.fs.mkdir(g);
    await f.fs.mkdir(`${g}/strings/0x409`);
    t.same((await names(f.fs, `${g}/strings/0x409`, 'file')).sort(), ['manufacturer', 'product', 'serialnumber']);
    await f.fs.mkdir(`${g}/configs/c.1`);
    const config = await names(f.fs, `${g}/configs/c.1`);
    t.ok(config.includes('MaxPower') && config.includes('bmAttributes') && config.includes('strings'), 'config attributes');
    await f.fs.mkdir(`${g}/functions/hid.ct`);
    const hid = await names(f.fs, `${g}/functions/hid.ct`, 'file');
    for (const a of ['protocol', 'subclass', 'report_length', 'report_desc', 'dev']) t.ok(hid.includes(a), `hid ${a}`);
    t.match(await f.fs.read(`${g}/functions/hid.ct/dev`), /^\d+:\d+\n$/, 'dev reads MAJ:MIN');
    await f.fs.mkdir(`${g}/functions/mass_storage.ct`);
    t.ok((await names(f.fs, `${g}/functions/mass_storage.ct`, 'file')).includes('stall'), 'stall');
    const lun = await names(f.fs, `${g}/functions/mass_storage.ct/lun.0`, 'file');
    for (const a of ['file', 'ro', 'cdrom', 'removable', 'nofua', 'inquiry_string']) t.ok(lun.includes(a), `lun.0/${a}`);
    await f.fs.mkdir(`${g}/functions/mass_storage.ct/lun.1`);
    t.ok((await names(f.fs, `${g}/functions/mass_storage.ct/lun.1`, 'file')).includes('file'), 'lun.1 made explicitly');
  });

  withGadget('mkdir outside a group is EPERM; an unknown function type is ENOENT', async (f, g, t) => {
    await f.fs.mkdir(g);
    t.equal(await errnoOf(f.fs.mkdir(`${g}/extra`)), 'EPERM');
    t.equal(await errnoOf(f.fs.mkdir(`${g}/functions/nosuchfn.usb0`)), 'ENOENT');
    t.equal(await errnoOf(f.fs.mkdir(g)), 'EEXIST');
  });

  withGadget('attribute files cannot be unlinked; rmdir succeeds while they are listed', async (f, g, t) => {
    await f.fs.mkdir(g);
    await f.fs.mkdir(`${g}/strings/0x409`);
    await f.fs.write(`${g}/strings/0x409/manufacturer`, 'Contract');
    t.equal(await errnoOf(f.fs.unlink(`${g}/idVendor`)), 'EPERM');
    t.equal(await errnoOf(f.fs.unlink(`${g}/strings/0x409/manufacturer`)), 'EPERM');
    t.equal(await errnoOf(f.fs.rmdir(`${g}/strings/0x409`)), '');
    t.notOk(await f.fs.exists(`${g}/strings/0x409`), 'string table removed with its attributes');
  });

  withGadget('default groups cannot be removed', async (f, g, t) => {
    await f.fs.mkdir(g);
    await f.fs.mkdir(`${g}/functions/mass_storage.ct`);
    for (const d of ['configs', 'functions', 'strings', 'os_desc', 'functions/mass_storage.ct/lun.0']) {
      t.equal(await errnoOf(f.fs.rmdir(`${g}/${d}`)), 'EPERM', `${d}`);
    }
  });

  withGadget('rmdir of a directory with child directories or links is ENOTEMPTY', async (f, g, t) => {
    await storageGadget(f.fs, g);
    t.equal(await errnoOf(f.fs.rmdir(g)), 'ENOTEMPTY', 'gadget with configs and functions');
    t.equal(await errnoOf(f.fs.rmdir(`${g}/configs/c.1`)), 'ENOTEMPTY', 'config holding a link');
  });

  withGadget('a function linked from a config cannot be removed (EBUSY)', async (f, g, t) => {
    await storageGadget(f.fs, g);
    t.equal(await errnoOf(f.fs.rmdir(`${g}/functions/mass_storage.ct`)), 'EBUSY');
    await f.fs.unlink(`${g}/configs/c.1/mass_storage.ct`);
    t.equal(await errnoOf(f.fs.rmdir(`${g}/functions/mass_storage.ct`)), '', 'removable once unlinked');
  });

  withGadget('u16 attributes parse base 0 and read back canonically', async (f, g, t) => {
    await f.fs.mkdir(g);
    await f.fs.write(`${g}/idProduct`, '0104');
    t.equal(await f.fs.read(`${g}/idProduct`), '0x0044\n', '0104 is octal');
    await f.fs.write(`${g}/idProduct`, '0x0104');
    t.equal(await f.fs.read(`${g}/idProduct`), '0x0104\n');
    await f.fs.write(`${g}/idVendor`, '7531');
    t.equal(await f.fs.read(`${g}/idVendor`), '0x1d6b\n', 'decimal');
    t.equal(await errnoOf(f.fs.write(`${g}/idVendor`, 'pikvm')), 'EINVAL');
    t.equal(await errnoOf(f.fs.write(`${g}/idVendor`, '0x10000')), 'ERANGE');
  });

  withGadget('writing a path that does not exist is ENOENT', async (f, g, t) => {
    await f.fs.mkdir(g);
    t.equal(await errnoOf(f.fs.write(`${g}/no_such_attribute`, '1')), 'ENOENT');
    t.notOk(await f.fs.exists(`${g}/no_such_attribute`), 'nothing was created');
  });

  withGadget('LUN: ro and cdrom are EBUSY while a file is attached; missing file is ENOENT', async (f, g, t) => {
    await f.fs.mkdir(g);
    await f.fs.mkdir(`${g}/functions/mass_storage.ct`);
    const lun = `${g}/functions/mass_storage.ct/lun.0`;
    t.equal(await errnoOf(f.fs.write(`${lun}/file`, f.missingFile)), 'ENOENT');
    await f.fs.write(`${lun}/ro`, '1');
    await f.fs.write(`${lun}/file`, f.imageFile);
    t.equal(await f.fs.read(`${lun}/file`), `${f.imageFile}\n`);
    t.equal(await errnoOf(f.fs.write(`${lun}/ro`, '0')), 'EBUSY');
    t.equal(await errnoOf(f.fs.write(`${lun}/cdrom`, '1')), 'EBUSY');
    await f.fs.write(`${lun}/file`, '\n');
    t.equal((await f.fs.read(`${lun}/file`)).trim(), '', 'ejected');
    t.equal(await errnoOf(f.fs.write(`${lun}/cdrom`, '1')), '', 'flags writable again');
    t.equal(await f.fs.read(`${lun}/cdrom`), '1\n');
  });

  withGadget('LUN: /proc/self/fd/N attaches the file our descriptor refers to, whatever its name became', async (f, g, t) => {
    await f.fs.mkdir(g);
    await f.fs.mkdir(`${g}/functions/mass_storage.ct`);
    const lun = `${g}/functions/mass_storage.ct/lun.0`;
    const checked = path.join(path.dirname(f.imageFile), `checked-${process.pid}-${serial}.img`);
    await fsp.writeFile(checked, Buffer.alloc(4096, 0x11));
    const handle = await fsp.open(checked, O_PATH);
    try {
      // The hostile swap: the name now is a symlink to another file.
      await fsp.symlink(f.imageFile, `${checked}.new`);
      await fsp.rename(`${checked}.new`, checked);
      await f.fs.write(`${lun}/ro`, '1');
      await f.fs.write(`${lun}/file`, fdPath(handle.fd));
      t.equal(await f.fs.read(`${lun}/file`), `${checked} (deleted)\n`, 'the checked file (unlinked by the swap), not the symlink target');
      await f.fs.write(`${lun}/file`, '\n');
    } finally {
      await handle.close();
      await fsp.rm(checked, { force: true });
    }
  });

  withGadget('LUN: only regular files (and block devices) of one sector, 300 frames as a CD-ROM', async (f, g, t) => {
    await f.fs.mkdir(g);
    await f.fs.mkdir(`${g}/functions/mass_storage.ct`);
    const lun = `${g}/functions/mass_storage.ct/lun.0`;
    const small = path.join(path.dirname(f.imageFile), `small-${process.pid}-${serial}.img`);
    await fsp.writeFile(small, Buffer.alloc(511));
    try {
      await f.fs.write(`${lun}/ro`, '1');
      t.equal(await errnoOf(f.fs.write(`${lun}/file`, small)), ETOOSMALL, '511 bytes: too small');
      t.equal(await errnoOf(f.fs.write(`${lun}/file`, path.dirname(small))), 'EINVAL', 'a directory is no medium');
      await fsp.truncate(small, 512);
      t.equal(await errnoOf(f.fs.write(`${lun}/file`, small)), '', '512 bytes: one sector');
      await f.fs.write(`${lun}/file`, '\n');
      await f.fs.write(`${lun}/cdrom`, '1');
      t.equal(await errnoOf(f.fs.write(`${lun}/file`, small)), ETOOSMALL, 'as a CD-ROM: fewer than 300 frames');
      await fsp.truncate(small, 300 * 2048);
      t.equal(await errnoOf(f.fs.write(`${lun}/file`, small)), '', 'as a CD-ROM: 300 frames of 2048 bytes');
      await f.fs.write(`${lun}/file`, '\n');
    } finally {
      await fsp.rm(small, { force: true });
    }
  });

  withGadget('LUN: forced_eject detaches the file where the kernel has it', async (f, g, t) => {
    await f.fs.mkdir(g);
    await f.fs.mkdir(`${g}/functions/mass_storage.ct`);
    const lun = `${g}/functions/mass_storage.ct/lun.0`;
    await f.fs.write(`${lun}/file`, f.imageFile);
    if (await f.fs.exists(`${lun}/forced_eject`)) {
      await f.fs.write(`${lun}/forced_eject`, '1');
      t.equal((await f.fs.read(`${lun}/file`)).trim(), '', 'detached by forced_eject');
    } else {
      t.equal(await errnoOf(f.fs.write(`${lun}/forced_eject`, '1')), 'ENOENT', 'no forced_eject before Linux 6.0');
    }
  });

  withGadget('UDC: bind, unbind, ENODEV when not bound, EBUSY for an unknown name', async (f, g, t) => {
    await storageGadget(f.fs, g);
    t.equal(await errnoOf(f.fs.write(`${g}/UDC`, '\n')), 'ENODEV', 'unbind while unbound');
    // Linux ≥ 5.19 reports a name no UDC matches as EBUSY (usb_gadget_register_driver_owner).
    t.equal(await errnoOf(f.fs.write(`${g}/UDC`, 'no_such_udc.0')), 'EBUSY', 'unknown UDC');
    await f.fs.write(`${g}/UDC`, f.udc);
    t.equal(await f.fs.read(`${g}/UDC`), `${f.udc}\n`, 'bound');
    t.equal(await errnoOf(f.fs.write(`${g}/UDC`, f.udc)), 'EBUSY', 'bind while bound');
    await f.fs.write(`${g}/UDC`, '\n');
    t.equal(await f.fs.read(`${g}/UDC`), '\n', 'unbound');
  });

  withGadget('UDC: a UDC held by another gadget is EBUSY', async (f, g, t) => {
    const other = `${g}-other`;
    try {
      await storageGadget(f.fs, g);
      await storageGadget(f.fs, other);
      await f.fs.write(`${other}/UDC`, f.udc);
      t.equal(await errnoOf(f.fs.write(`${g}/UDC`, f.udc)), 'EBUSY');
      t.equal(await f.fs.read(`${g}/UDC`), '\n', 'ours stays unbound');
    } finally {
      await removeGadget(f.fs, other.split('/')[1]!);
    }
  });

  withGadget('HID attributes are EBUSY while the function is linked and bound', async (f, g, t) => {
    await f.fs.mkdir(g);
    await f.fs.mkdir(`${g}/configs/c.1`);
    const hid = `${g}/functions/hid.ct`;
    await f.fs.mkdir(hid);
    await f.fs.write(`${hid}/protocol`, '1');
    await f.fs.write(`${hid}/report_length`, '8');
    await f.fs.write(`${hid}/report_desc`, Uint8Array.from([0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0xc0]));
    t.same([...(await f.fs.readBytes(`${hid}/report_desc`))], [0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0xc0], 'binary round trip');
    await f.fs.symlink(hid, `${g}/configs/c.1/hid.ct`);
    await f.fs.write(`${g}/UDC`, f.udc);
    t.equal(await errnoOf(f.fs.write(`${hid}/protocol`, '0')), 'EBUSY');
    t.equal(await errnoOf(f.fs.write(`${hid}/report_length`, '6')), 'EBUSY');
    t.equal(await f.fs.read(`${hid}/report_length`), '8\n', 'value kept');
    t.match(await f.fs.read(`${hid}/dev`), /^\d+:\d+\n$/, 'dev reads MAJ:MIN while bound');
  });
}
