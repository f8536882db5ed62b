import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAgentError } from '../../../agent/errors';
import { MIN_CDROM_BYTES } from '../../../agent/gadget/image-path';
import { MassStorage } from '../../../agent/gadget/storage';
import { recordingLogger } from '../../../agent/log';
import { isInside } from '../../../agent/platform/inside';
import { startSwapper } from '../../fixtures/symlink-swapper';
import { simGadget, tempDir } from './fixtures/sim';

const base = tempDir('storage-');
t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
const images = fs.realpathSync(base);
const iso = path.join(images, 'install.iso');
const disk = path.join(images, 'disk.img');
fs.writeFileSync(iso, Buffer.alloc(MIN_CDROM_BYTES));
fs.writeFileSync(disk, Buffer.alloc(4096));
fs.symlinkSync('/etc/hostname', path.join(images, 'escape.img'));

async function setup(kernelOptions = {}) {
  const sim = simGadget(kernelOptions, { luns: 2 });
  await sim.gadget.start();
  const logger = recordingLogger('msd');
  const storage = new MassStorage({ configfs: sim.kernel.configfs, gadgetName: 'pikvm-agent', luns: 2, imageDirs: [images], logger });
  return { ...sim, storage, logger };
}

const failureOf = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);

t.test('attach, re-attach with other flags, eject', async (t) => {
  const { kernel, storage, logger } = await setup();
  t.same(await storage.attach(0, iso, { cdrom: true, readOnly: true }), { lun: 0, file: iso, cdrom: true, readOnly: true });
  t.match(kernel.lun('pikvm-agent', 'mass_storage.usb0', 0), { file: iso, cdrom: true, ro: true });
  // Changing flags while a file is attached would be EBUSY: attach ejects first.
  t.same(await storage.attach(0, disk, { cdrom: false, readOnly: false }), { lun: 0, file: disk, cdrom: false, readOnly: false });
  t.match(kernel.lun('pikvm-agent', 'mass_storage.usb0', 0), { file: disk, cdrom: false, ro: false });
  const writes = logger.records.map((r) => r.message.replace(/^WRITE \S+\/lun\.0\//, '').replace(/^file=\/proc\/self\/fd\/\d+$/, 'file=<fd>'));
  t.same(
    writes,
    ['cdrom=1', 'ro=1', 'file=<fd>', 'medium attached', 'forced_eject=1', 'cdrom=0', 'ro=0', 'file=<fd>', 'medium attached'],
    'eject → flags → file, the file named by our descriptor',
  );
  t.same(logger.records.filter((r) => r.message === 'medium attached').map((r) => r.fields?.file), [iso, disk], 'the log names the real files');
  await storage.eject(0);
  t.same(await storage.status(), [
    { lun: 0, file: null, cdrom: false, readOnly: false },
    { lun: 1, file: null, cdrom: false, readOnly: true },
  ]);
  await storage.eject(0); // nothing attached: a no-op
  t.equal(kernel.lun('pikvm-agent', 'mass_storage.usb0', 0)?.file, null);
});

t.test('without forced_eject the file is cleared; a locked medium is busy', async (t) => {
  const { kernel, storage, logger } = await setup({ forcedEject: false });
  await storage.attach(1, iso, { cdrom: true, readOnly: true });
  logger.records.length = 0;
  await storage.eject(1);
  t.same(logger.records.filter((r) => r.level === 'info').map((r) => r.message), [
    'WRITE usb_gadget/pikvm-agent/functions/mass_storage.usb0/lun.1/file=\\n',
  ]);
  await storage.attach(1, iso, { cdrom: true, readOnly: true });
  kernel.setMediumLocked('pikvm-agent', 'mass_storage.usb0', 1, true);
  const e = await failureOf(storage.eject(1));
  t.ok(isAgentError(e, 'busy'));
  t.match((e as Error).message, /LUN 1.*locked/);
  t.equal(kernel.lun('pikvm-agent', 'mass_storage.usb0', 1)?.file, iso, 'still attached');
});

t.test('forced_eject detaches a locked medium', async (t) => {
  const { kernel, storage } = await setup();
  await storage.attach(0, iso, { cdrom: true, readOnly: true });
  kernel.setMediumLocked('pikvm-agent', 'mass_storage.usb0', 0, true);
  await storage.attach(0, disk, { cdrom: false, readOnly: true });
  t.equal(kernel.lun('pikvm-agent', 'mass_storage.usb0', 0)?.file, disk);
});

t.test('refusals: unknown LUN, escapes, missing files', async (t) => {
  const { kernel, storage } = await setup();
  const badLun = await failureOf(storage.attach(2, iso, { cdrom: false, readOnly: true }));
  t.ok(isAgentError(badLun, 'bad-argument'));
  t.ok(isAgentError(await failureOf(storage.eject(-1)), 'bad-argument'));
  t.ok(isAgentError(await failureOf(storage.attach(0, path.join(images, 'escape.img'), { cdrom: false, readOnly: true })), 'forbidden'));
  t.ok(isAgentError(await failureOf(storage.attach(0, `${images}/../etc/passwd`, { cdrom: false, readOnly: true })), 'forbidden'));
  t.ok(isAgentError(await failureOf(storage.attach(0, '/dev/zero', { cdrom: false, readOnly: true })), 'forbidden'));
  t.ok(isAgentError(await failureOf(storage.attach(0, path.join(images, 'nope.iso'), { cdrom: false, readOnly: true })), 'not-found'));
  t.equal(kernel.lun('pikvm-agent', 'mass_storage.usb0', 0)?.file, null, 'nothing attached');
});

t.test('our descriptor of the medium is held until eject, and released at stop', async (t) => {
  const { storage } = await setup();
  const fds = () => fs.readdirSync('/proc/self/fd').length;
  const before = fds();
  await storage.attach(0, disk, { cdrom: false, readOnly: true });
  t.equal(fds(), before + 1, 'one descriptor while attached');
  await storage.attach(0, iso, { cdrom: true, readOnly: true });
  t.equal(fds(), before + 1, 're-attaching swaps it');
  await storage.eject(0);
  t.equal(fds(), before, 'eject closes it');
  await storage.attach(1, disk, { cdrom: false, readOnly: true });
  await storage.releaseAll();
  t.equal(fds(), before, 'releaseAll closes what is left');
  const e = await failureOf(storage.attach(0, path.join(images, 'escape.img'), { cdrom: false, readOnly: true }));
  t.ok(isAgentError(e, 'forbidden'));
  t.equal(fds(), before, 'a refused attach keeps nothing open');
});

t.test('race: a symlink swapped in while attaching never gets the kernel outside the image directory', async (t) => {
  const { kernel, storage } = await setup();
  const outside = tempDir('storage-outside-');
  t.teardown(() => fs.rmSync(outside, { recursive: true, force: true }));
  const secret = path.join(outside, 'secret.img');
  fs.writeFileSync(secret, Buffer.alloc(4096, 0xee));
  const target = path.join(images, 'swap.img');
  const swapper = await startSwapper(target, disk, secret);
  t.teardown(() => swapper.stop());
  const seen = { attached: 0, refused: 0, escapes: [] as string[], errors: [] as string[] };
  for (let i = 0; i < 20_000 && (i < 300 || seen.attached === 0 || seen.refused === 0); i++) {
    try {
      await storage.attach(0, target, { cdrom: false, readOnly: true });
      seen.attached++;
    } catch (e) {
      if (isAgentError(e, 'forbidden') || isAgentError(e, 'not-found')) seen.refused++;
      else seen.errors.push(String(e));
    }
    const file = kernel.lun('pikvm-agent', 'mass_storage.usb0', 0)?.file ?? null;
    if (file !== null && !isInside(images, file)) seen.escapes.push(file);
  }
  await swapper.stop();
  await storage.eject(0);
  t.same(seen.escapes, [], 'the kernel never opened a file outside');
  t.same(seen.errors, [], 'every refusal is forbidden (the symlink) or not-found (mid-swap)');
  t.ok(seen.attached > 0 && seen.refused > 0, `both sides of the race were hit (${seen.attached} attached, ${seen.refused} refused)`);
});
