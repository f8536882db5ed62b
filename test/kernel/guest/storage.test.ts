/**
 * The agent's MassStorage through the real f_mass_storage, seen by the host side of dummy_hcd as a
 * SCSI disk (/dev/sdX): the host reads the image's bytes, host writes land in a read-write image,
 * eject removes the medium, and another image can be attached without re-enumerating.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isAgentError } from '../../../agent/errors';
import { STORAGE_FUNCTION } from '../../../agent/gadget/spec';
import { MassStorage } from '../../../agent/gadget/storage';
import { silentLogger } from '../../../agent/log';
import { isInside } from '../../../agent/platform/inside';
import { startSwapper } from '../../fixtures/symlink-swapper';
import { configfs, gadgetsLeft, newGadget, waitForHost } from './agent-stack';
import { assertInGuest, paths, readTrimmed, waitFor } from './kernel-env';

assertInGuest();

const MiB = 1024 * 1024;

/** Size of the host's disk in bytes as the SCSI layer last read it (0 = no medium). */
async function diskBytes(disk: string): Promise<number> {
  return Number(await readTrimmed(path.join(paths.sysfsRoot, 'class/block', path.basename(disk), 'size'))) * 512;
}

/**
 * Reads the whole medium as the host sees it. Opening the node makes sd revalidate the medium
 * (sd_open → disk_check_media_change), which also drops pages cached from a previous medium.
 */
async function hostRead(disk: string, length: number): Promise<Buffer> {
  return waitFor(`${disk} to offer ${length} bytes`, async () => {
    const handle = await fs.open(disk, 'r').catch(() => null);
    if (!handle) return undefined;
    try {
      if ((await diskBytes(disk)) !== length) return undefined;
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, 0);
      return bytesRead === length ? buf : undefined;
    } finally {
      await handle.close();
    }
  });
}

t.test('mass storage through the real kernel', async (t) => {
  const dir = await fs.mkdtemp(path.join(process.env.TMPDIR ?? '/tmp', 'ktier-images-'));
  const gadget = newGadget();
  await gadget.start();
  const storage = new MassStorage({ configfs: configfs(), gadgetName: gadget.name, luns: 1, imageDirs: [dir], logger: silentLogger });
  t.teardown(async () => {
    await gadget.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });
  const host = await waitForHost();
  const disk = host.disks[0] as string;
  t.equal(await diskBytes(disk), 0, 'no medium before attach');

  const imageA = path.join(dir, 'a.img');
  const bytesA = randomBytes(2 * MiB);
  await fs.writeFile(imageA, bytesA);

  t.test('read-only attach: the host reads identical bytes', async (t) => {
    const status = await storage.attach(0, imageA, { cdrom: false, readOnly: true });
    t.same(status, { lun: 0, file: imageA, cdrom: false, readOnly: true });
    const seen = await hostRead(disk, bytesA.length);
    t.ok(seen.equals(bytesA), 'host bytes equal the image');
    t.equal(await readTrimmed(path.join(paths.sysfsRoot, 'class/block', path.basename(disk), 'ro')), '1', 'the host sees it write-protected');
  });

  t.test('read-write attach: host writes land in the file', async (t) => {
    const imageB = path.join(dir, 'b.img');
    await fs.writeFile(imageB, Buffer.alloc(1 * MiB));
    await storage.attach(0, imageB, { cdrom: false, readOnly: false });
    await hostRead(disk, MiB);
    const pattern = Buffer.from('written by the USB host through f_mass_storage\n');
    const handle = await fs.open(disk, 'r+');
    try {
      const block = Buffer.alloc(4096);
      pattern.copy(block);
      await handle.write(block, 0, block.length, 8192);
      await handle.sync(); // flushes the host's page cache to the device: SCSI WRITE + SYNC CACHE
    } finally {
      await handle.close();
    }
    const file = await fs.readFile(imageB);
    t.same(file.subarray(8192, 8192 + pattern.length).toString(), pattern.toString(), 'the image holds the host write');
    t.equal(file.subarray(0, 8192).every((b) => b === 0), true, 'nothing else changed before it');
  });

  t.test('eject: the medium is gone for the host', async (t) => {
    await storage.eject(0);
    t.same(await storage.lunStatus(0), { lun: 0, file: null, cdrom: false, readOnly: false });
    const opened = await fs.open(disk, 'r').then(
      async (h) => {
        await h.close();
        return 'opened';
      },
      // libuv has no name for ENOMEDIUM (123 on Linux): compare the number.
      (e: unknown) => (e as { errno?: number }).errno,
    );
    t.equal(opened, -123, 'opening the disk fails with ENOMEDIUM');
    t.equal(await diskBytes(disk), 0, 'size 0');
  });

  t.test('re-attach another image without re-enumeration', async (t) => {
    const imageC = path.join(dir, 'c.img');
    const bytesC = randomBytes(MiB);
    await fs.writeFile(imageC, bytesC);
    await storage.attach(0, imageC, { cdrom: false, readOnly: true });
    const seen = await hostRead(disk, bytesC.length);
    t.ok(seen.equals(bytesC), 'host bytes equal the new image');
    const again = await waitForHost();
    t.same(again.disks, [disk], 'the same host disk node: no replug');
    t.equal((await gadget.status()).functions.includes(STORAGE_FUNCTION), true);
  });

  t.test('smaller than a sector: refused by the agent, nothing attached', async (t) => {
    await storage.eject(0);
    const tiny = path.join(dir, 'tiny.img');
    await fs.writeFile(tiny, Buffer.alloc(511));
    await t.rejects(storage.attach(0, tiny, { cdrom: false, readOnly: true }), { code: 'bad-argument', message: /511 bytes; a disk image needs at least 512 bytes/ });
    t.equal((await storage.lunStatus(0)).file, null);
  });

  t.test('race: the kernel attaches the checked file while a symlink to one outside is swapped in', async (t) => {
    const outside = await fs.mkdtemp(path.join(process.env.TMPDIR ?? '/tmp', 'ktier-outside-'));
    const secret = path.join(outside, 'secret.img');
    await fs.writeFile(secret, Buffer.alloc(MiB, 0xee));
    const good = path.join(dir, 'good.img');
    await fs.writeFile(good, Buffer.alloc(MiB, 0x11));
    const swapper = await startSwapper(path.join(dir, 'swap.img'), good, secret);
    const seen = { attached: 0, refused: 0, escapes: [] as string[], errors: [] as string[] };
    try {
      for (let i = 0; i < 5000 && (i < 200 || seen.attached === 0 || seen.refused === 0); i++) {
        try {
          await storage.attach(0, path.join(dir, 'swap.img'), { cdrom: false, readOnly: false });
          seen.attached++;
        } catch (e) {
          if (isAgentError(e, 'forbidden')) seen.refused++;
          else seen.errors.push(String(e));
        }
        const file = (await storage.lunStatus(0)).file; // the kernel's d_path of what it opened
        if (file !== null && !isInside(dir, file)) seen.escapes.push(file);
      }
    } finally {
      await swapper.stop();
      await storage.eject(0);
    }
    t.same(seen.escapes, [], 'f_mass_storage never held a file outside the image directory');
    t.same(seen.errors, [], 'every refusal is forbidden');
    t.ok(seen.attached > 0 && seen.refused > 0, `both sides of the race were hit (${seen.attached} attached, ${seen.refused} refused)`);
    t.ok((await fs.readFile(secret)).equals(Buffer.alloc(MiB, 0xee)), 'the file outside is untouched');
    await fs.rm(outside, { recursive: true, force: true });
  });

  t.test('teardown with a medium attached leaves usb_gadget/ empty', async (t) => {
    t.equal((await gadget.stop()).clean, true);
    t.same(await gadgetsLeft(), []);
  });
});
