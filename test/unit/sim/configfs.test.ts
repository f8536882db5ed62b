import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configFsContract, errnoOf } from '../../contract/configfs';
import { SimKernel, type BoundFunction } from '../../../agent/sim/kernel';

function tempImage(): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'simcfs-'));
  const file = path.join(dir, 'disk.img');
  fs.writeFileSync(file, Buffer.alloc(1024 * 1024));
  return { dir: fs.realpathSync(dir), file: path.join(fs.realpathSync(dir), 'disk.img') };
}

t.test('contract: simulated configfs', async (t) => {
  configFsContract(t, async () => {
    const { dir, file } = tempImage();
    const kernel = new SimKernel();
    return {
      fs: kernel.configfs,
      udc: 'dummy_udc.0',
      imageFile: file,
      missingFile: path.join(dir, 'missing.img'),
      close: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  });
});

/** A gadget with one HID function linked into c.1, not yet bound. */
async function hidGadget(k: SimKernel, name = 'g'): Promise<string> {
  const g = `usb_gadget/${name}`;
  await k.configfs.mkdir(g);
  await k.configfs.mkdir(`${g}/configs/c.1`);
  await k.configfs.mkdir(`${g}/functions/hid.usb0`);
  await k.configfs.write(`${g}/functions/hid.usb0/report_length`, '8');
  await k.configfs.symlink(`${g}/functions/hid.usb0`, `${g}/configs/c.1/hid.usb0`);
  return g;
}

t.test('bind emits bound with the functions, UDC state follows the virtual host', async (t) => {
  const k = new SimKernel();
  const events: string[] = [];
  let functions: BoundFunction[] = [];
  k.on('bound', (name, fns) => {
    events.push(`bound ${name}`);
    functions = fns;
  });
  k.on('unbound', (name) => events.push(`unbound ${name}`));
  const g = await hidGadget(k);
  t.equal(k.udcState('dummy_udc.0'), 'not attached', 'unbound');
  await k.configfs.write(`${g}/UDC`, 'dummy_udc.0');
  t.equal(k.udcState('dummy_udc.0'), 'configured');
  t.equal(await k.sysfs.read('class/udc/dummy_udc.0/state'), 'configured\n', 'via the SysFs view');
  t.same(await k.sysfs.list('class/udc'), ['dummy_udc.0']);
  t.equal(functions.length, 1);
  const hid = functions[0]!;
  t.equal(hid.type, 'hid');
  if (hid.type === 'hid') {
    t.equal(hid.dev, '236:0');
    t.equal(hid.reportLength, 8);
  }
  k.setHostOnline(false, 'suspended');
  t.equal(k.udcState('dummy_udc.0'), 'suspended');
  k.setHostOnline(false);
  t.equal(k.udcState('dummy_udc.0'), 'not attached');
  k.setHostOnline(true);
  await k.configfs.write(`${g}/UDC`, '\n');
  t.equal(k.udcState('dummy_udc.0'), 'not attached');
  t.same(events, ['bound g', 'unbound g']);
});

t.test('unlinking a function of a bound gadget unbinds it (config_usb_cfg_unlink)', async (t) => {
  const k = new SimKernel();
  const g = await hidGadget(k);
  await k.configfs.write(`${g}/UDC`, 'dummy_udc.0');
  await k.configfs.unlink(`${g}/configs/c.1/hid.usb0`);
  t.equal(await k.configfs.read(`${g}/UDC`), '\n');
  t.equal(k.boundGadget('dummy_udc.0'), null);
});

t.test('binding a gadget without a linked function fails with EBUSY', async (t) => {
  const k = new SimKernel();
  await k.configfs.mkdir('usb_gadget/g');
  t.equal(await errnoOf(k.configfs.write('usb_gadget/g/UDC', 'dummy_udc.0')), 'EBUSY', 'no config');
  await k.configfs.mkdir('usb_gadget/g/configs/c.1');
  t.equal(await errnoOf(k.configfs.write('usb_gadget/g/UDC', 'dummy_udc.0')), 'EBUSY', 'empty config');
});

t.test('at most 4 HID functions system-wide; minors are reused lowest first', async (t) => {
  const k = new SimKernel();
  await k.configfs.mkdir('usb_gadget/g');
  for (let i = 0; i < 4; i++) await k.configfs.mkdir(`usb_gadget/g/functions/hid.f${i}`);
  t.equal(await errnoOf(k.configfs.mkdir('usb_gadget/g/functions/hid.f4')), 'ENODEV');
  await k.configfs.rmdir('usb_gadget/g/functions/hid.f1');
  await k.configfs.mkdir('usb_gadget/g/functions/hid.again');
  t.equal(await k.configfs.read('usb_gadget/g/functions/hid.again/dev'), '236:1\n');
});

t.test('optional attributes are absent on an older simulated kernel', async (t) => {
  const k = new SimKernel({ forcedEject: false, noOutEndpoint: false });
  await k.configfs.mkdir('usb_gadget/g');
  await k.configfs.mkdir('usb_gadget/g/functions/hid.usb0');
  await k.configfs.mkdir('usb_gadget/g/functions/mass_storage.usb0');
  t.notOk(await k.configfs.exists('usb_gadget/g/functions/hid.usb0/no_out_endpoint'));
  t.notOk(await k.configfs.exists('usb_gadget/g/functions/mass_storage.usb0/lun.0/forced_eject'));
});

t.test('a locked medium refuses file writes; forced_eject detaches anyway', async (t) => {
  const { dir, file } = tempImage();
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const k = new SimKernel();
  await k.configfs.mkdir('usb_gadget/g');
  await k.configfs.mkdir('usb_gadget/g/functions/mass_storage.usb0');
  const lun = 'usb_gadget/g/functions/mass_storage.usb0/lun.0';
  await k.configfs.write(`${lun}/file`, file);
  t.equal(k.lun('g', 'mass_storage.usb0', 0)?.file, file);
  k.setMediumLocked('g', 'mass_storage.usb0', 0, true);
  t.equal(await errnoOf(k.configfs.write(`${lun}/file`, '\n')), 'EBUSY');
  t.equal(await errnoOf(k.configfs.read(`${lun}/forced_eject`)), 'EACCES', 'write-only');
  await k.configfs.write(`${lun}/forced_eject`, '1');
  const after = k.lun('g', 'mass_storage.usb0', 0);
  t.equal(after?.file, null, 'detached');
  t.equal(after?.locked, false, 'lock cleared');
});

t.test('links: only functions of the same gadget into a config, once', async (t) => {
  const k = new SimKernel();
  const g = await hidGadget(k, 'a');
  await k.configfs.mkdir('usb_gadget/b');
  await k.configfs.mkdir('usb_gadget/b/configs/c.1');
  t.equal(await errnoOf(k.configfs.symlink(`${g}/functions/hid.usb0`, 'usb_gadget/b/configs/c.1/x')), 'EINVAL', 'other gadget');
  t.equal(await errnoOf(k.configfs.symlink(`${g}/functions/hid.usb0`, `${g}/configs/c.1/again`)), 'EEXIST', 'twice');
  t.equal(await errnoOf(k.configfs.symlink(`${g}/functions/hid.usb0`, `${g}/strings/x`)), 'EPERM', 'not a config');
  t.equal(await errnoOf(k.configfs.unlink(`${g}/configs/c.1`)), 'EISDIR');
});
