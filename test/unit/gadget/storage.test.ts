import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAgentError } from '../../../agent/errors';
import { MassStorage } from '../../../agent/gadget/storage';
import { recordingLogger } from '../../../agent/log';
import { simGadget, tempDir } from './fixtures/sim';

const base = tempDir('storage-');
t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
const images = fs.realpathSync(base);
const iso = path.join(images, 'install.iso');
const disk = path.join(images, 'disk.img');
fs.writeFileSync(iso, 'iso');
fs.writeFileSync(disk, 'disk');
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
  const writes = logger.records.map((r) => r.message.replace(/^WRITE \S+\/lun\.0\//, ''));
  t.same(writes, [`cdrom=1`, `ro=1`, `file=${iso}`, 'forced_eject=1', 'cdrom=0', 'ro=0', `file=${disk}`], 'eject → flags → file');
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
