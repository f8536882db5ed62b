import t from 'tap';
import { isAgentError } from '../../../agent/errors';
import { KEYBOARD_REPORT_DESCRIPTOR, POINTER_REPORT_DESCRIPTOR } from '../../../agent/gadget/descriptors';
import { Gadget } from '../../../agent/gadget/gadget';
import type { ConfigFs } from '../../../agent/gadget/configfs';
import { recordingLogger } from '../../../agent/log';
import { errnoError } from '../../../agent/platform/errno';
import { SimKernel } from '../../../agent/sim/kernel';
import type { BoundFunction } from '../../../agent/sim/kernel';
import { simGadget, snapshot } from './fixtures/sim';

const G = 'usb_gadget/pikvm-agent';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

t.test('start builds the tree kernel-side and binds', async (t) => {
  const { kernel, gadget } = simGadget({}, { luns: 2 });
  let bound: BoundFunction[] = [];
  kernel.on('bound', (_n, fns) => (bound = fns));
  await gadget.start();
  const tree = await snapshot(kernel.configfs, G);
  t.match(tree, {
    [`${G}/idVendor`]: '0x1d6b\n',
    [`${G}/idProduct`]: '0x0104\n',
    [`${G}/bcdDevice`]: '0x0100\n',
    [`${G}/bcdUSB`]: '0x0200\n',
    [`${G}/UDC`]: 'dummy_udc.0\n',
    [`${G}/strings/0x409/manufacturer`]: 'PiKVM\n',
    [`${G}/strings/0x409/serialnumber`]: 'CAFEBABE\n',
    [`${G}/configs/c.1/MaxPower`]: '250\n',
    [`${G}/configs/c.1/bmAttributes`]: '0x80\n',
    [`${G}/configs/c.1/hid.usb0`]: '<link>',
    [`${G}/configs/c.1/hid.usb1`]: '<link>',
    [`${G}/configs/c.1/mass_storage.usb0`]: '<link>',
    [`${G}/functions/hid.usb0/protocol`]: '1\n',
    [`${G}/functions/hid.usb0/subclass`]: '1\n',
    [`${G}/functions/hid.usb0/report_length`]: '8\n',
    [`${G}/functions/hid.usb0/report_desc`]: hex(KEYBOARD_REPORT_DESCRIPTOR),
    [`${G}/functions/hid.usb1/protocol`]: '0\n',
    [`${G}/functions/hid.usb1/report_length`]: '6\n',
    [`${G}/functions/hid.usb1/report_desc`]: hex(POINTER_REPORT_DESCRIPTOR),
    [`${G}/functions/hid.usb1/no_out_endpoint`]: '1\n',
    [`${G}/functions/mass_storage.usb0/lun.0/ro`]: '1\n',
    [`${G}/functions/mass_storage.usb0/lun.0/removable`]: '1\n',
    [`${G}/functions/mass_storage.usb0/lun.0/cdrom`]: '0\n',
    [`${G}/functions/mass_storage.usb0/lun.0/file`]: '',
    [`${G}/functions/mass_storage.usb0/lun.1/inquiry_string`]: 'PiKVM   Virtual Media   1.0 \n',
  });
  t.match(tree[`${G}/functions/hid.usb0/dev`], /^236:\d\n$/);
  t.same(bound.map((f) => f.name), ['hid.usb0', 'hid.usb1', 'mass_storage.usb0'], 'virtual host sees all functions');
  t.equal(kernel.udcState('dummy_udc.0'), 'configured');
  t.equal(await gadget.hostState(), 'configured');
  t.equal(await gadget.isHostOnline(), true);
  t.same(await gadget.status(), {
    name: 'pikvm-agent',
    exists: true,
    bound: true,
    udc: 'dummy_udc.0',
    hostState: 'configured',
    hostOnline: true,
    functions: ['hid.usb0', 'hid.usb1', 'mass_storage.usb0'],
  });
  kernel.setHostOnline(false);
  t.equal(await gadget.isHostOnline(), false, 'host gone → offline');
});

t.test('start is idempotent; stop removes everything and is idempotent', async (t) => {
  const { kernel, gadget } = simGadget();
  let binds = 0;
  kernel.on('bound', () => binds++);
  await gadget.start();
  await gadget.start();
  t.equal(binds, 1, 'second start did nothing');
  const result = await gadget.stop();
  t.same(result, { clean: true, failures: [], leftovers: [] });
  t.same(await kernel.configfs.list('usb_gadget'), []);
  t.same(await gadget.stop(), { clean: true, failures: [], leftovers: [] }, 'stop again');
  t.equal(await gadget.hostState(), 'not attached');
});

t.test('a stale gadget of our name (bound, after kill -9) is removed before setup', async (t) => {
  const { kernel, gadget: first } = simGadget();
  await first.start(); // then the process "dies" without stop()
  const logger = recordingLogger();
  const second = new Gadget({ configfs: kernel.configfs, sysfs: kernel.sysfs, logger });
  const events: string[] = [];
  kernel.on('bound', (n) => events.push(`bound ${n}`));
  kernel.on('unbound', (n) => events.push(`unbound ${n}`));
  await second.start();
  t.same(events, ['unbound pikvm-agent', 'bound pikvm-agent']);
  t.ok(logger.records.some((r) => r.level === 'warn' && /stale gadget/.test(r.message)), 'logged');
  t.equal(kernel.boundGadget('dummy_udc.0'), 'pikvm-agent');
  t.same((await kernel.configfs.list(`${G}/configs/c.1`)).filter((e) => e.kind === 'link').length, 3);
});

t.test('bind EBUSY: another gadget holds the UDC → busy naming UDC and holder, nothing left', async (t) => {
  const { kernel, gadget } = simGadget();
  const kvmd = new Gadget({ configfs: kernel.configfs, sysfs: kernel.sysfs, options: { name: 'kvmd' }, logger: recordingLogger() });
  // kvmd's gadget uses 2 HID minors; ours needs 2 more: exactly the 4 the kernel has.
  await kvmd.start();
  const error = await gadget.start().then(() => null, (e: unknown) => e);
  t.ok(isAgentError(error, 'busy'), 'busy');
  t.match((error as Error).message, /dummy_udc\.0.*kvmd/);
  t.same((await kernel.configfs.list('usb_gadget')).map((e) => e.name), ['kvmd'], 'our half-built gadget removed');
  t.equal(kernel.boundGadget('dummy_udc.0'), 'kvmd');
});

t.test('no UDC → no-device; configured UDC missing → no-device', async (t) => {
  const none = simGadget({ udcs: [] });
  const e1 = await none.gadget.start().then(() => null, (e: unknown) => e);
  t.ok(isAgentError(e1, 'no-device'));
  const named = simGadget({ udcs: ['b.usb', 'a.usb'] }, { udc: 'fe980000.usb' });
  const e2 = await named.gadget.start().then(() => null, (e: unknown) => e);
  t.ok(isAgentError(e2, 'no-device'));
  t.match((e2 as Error).message, 'fe980000.usb');
  t.same(await named.kernel.configfs.list('usb_gadget'), [], 'nothing built');
});

t.test('the first UDC in sorted order is picked, or the configured one', async (t) => {
  const auto = simGadget({ udcs: ['b.usb', 'a.usb'] });
  await auto.gadget.start();
  t.equal(auto.kernel.boundGadget('a.usb'), 'pikvm-agent');
  const named = simGadget({ udcs: ['b.usb', 'a.usb'] }, { udc: 'b.usb' });
  await named.gadget.start();
  t.equal(named.kernel.boundGadget('b.usb'), 'pikvm-agent');
});

t.test('reconnect unbinds, recreates the links and rebinds', async (t) => {
  const { kernel, gadget, logger } = simGadget();
  await gadget.start();
  const events: string[] = [];
  kernel.on('bound', (n) => events.push(`bound ${n}`));
  kernel.on('unbound', (n) => events.push(`unbound ${n}`));
  logger.records.length = 0;
  await gadget.reconnect();
  t.same(events, ['unbound pikvm-agent', 'bound pikvm-agent']);
  const messages = logger.records.filter((r) => r.level === 'info').map((r) => r.message.split(' ').slice(0, 2).join(' '));
  t.same(
    messages.filter((m) => /^(UNLINK|LINK)/.test(m)),
    [
      `UNLINK ${G}/configs/c.1/mass_storage.usb0`,
      `UNLINK ${G}/configs/c.1/hid.usb1`,
      `UNLINK ${G}/configs/c.1/hid.usb0`,
      `LINK ${G}/configs/c.1/hid.usb0`,
      `LINK ${G}/configs/c.1/hid.usb1`,
      `LINK ${G}/configs/c.1/mass_storage.usb0`,
    ],
    'every link recreated',
  );
  t.equal(kernel.boundGadget('dummy_udc.0'), 'pikvm-agent');
});

t.test('reconnect repairs a missing link', async (t) => {
  const { kernel, gadget } = simGadget();
  await gadget.start();
  await kernel.configfs.unlink(`${G}/configs/c.1/hid.usb1`); // the kernel unbinds on unlink
  t.equal(kernel.boundGadget('dummy_udc.0'), null);
  await gadget.reconnect();
  t.same((await kernel.configfs.list(`${G}/configs/c.1`)).filter((e) => e.kind === 'link').map((e) => e.name), ['hid.usb0', 'hid.usb1', 'mass_storage.usb0']);
  t.equal(kernel.boundGadget('dummy_udc.0'), 'pikvm-agent');
});

t.test('reconnect before start is refused', async (t) => {
  const { gadget } = simGadget();
  const e = await gadget.reconnect().then(() => null, (err: unknown) => err);
  t.ok(isAgentError(e, 'no-device'));
});

t.test('an older kernel without no_out_endpoint: the optional attribute is skipped', async (t) => {
  const { kernel, gadget, logger } = simGadget({ noOutEndpoint: false });
  await gadget.start();
  t.notOk(await kernel.configfs.exists(`${G}/functions/hid.usb1/no_out_endpoint`));
  t.ok(logger.records.some((r) => r.message === `SKIP ${G}/functions/hid.usb1/no_out_endpoint`));
  t.equal(kernel.boundGadget('dummy_udc.0'), 'pikvm-agent');
});

t.test('observed configs of any name are torn down too', async (t) => {
  const { kernel, gadget } = simGadget();
  await gadget.start();
  await kernel.configfs.mkdir(`${G}/configs/x.2`);
  await kernel.configfs.symlink(`${G}/functions/hid.usb0`, `${G}/configs/x.2/hid.usb0`);
  const result = await gadget.stop();
  t.equal(result.clean, true);
  t.same(await kernel.configfs.list('usb_gadget'), []);
});

t.test('stop reports leftovers instead of throwing when a removal keeps failing', async (t) => {
  const kernel = new SimKernel();
  const stuck = `${G}/functions/hid.usb0`;
  // A configfs whose rmdir of one function always fails, as a wedged driver would.
  const configfs: ConfigFs = Object.assign(Object.create(kernel.configfs) as ConfigFs, {
    rmdir: async (p: string) => {
      if (p === stuck) throw errnoError('EIO', 'rmdir', p);
      return kernel.configfs.rmdir(p);
    },
  });
  const logger = recordingLogger();
  const gadget = new Gadget({ configfs, sysfs: kernel.sysfs, logger });
  await gadget.start();
  const result = await gadget.stop();
  t.equal(result.clean, false);
  t.same(result.leftovers, [G, stuck]);
  t.same(result.failures.map((f) => [f.op.verb, f.op.path, f.errno]), [
    ['RMDIR', stuck, 'EIO'],
    ['RMDIR', G, 'ENOTEMPTY'],
  ]);
  t.equal(kernel.boundGadget('dummy_udc.0'), null, 'unbound anyway');
  t.ok(logger.records.some((r) => r.level === 'warn' && /left entries/.test(r.message) && String(r.fields.leftovers).includes(stuck)));
});

t.test('HID device numbers come from the dev attribute', async (t) => {
  const { kernel, gadget } = simGadget({ hidMajor: 240 });
  // Another gadget took minor 0 first: ours get 1 and 2.
  await kernel.configfs.mkdir('usb_gadget/other');
  await kernel.configfs.mkdir('usb_gadget/other/functions/hid.x');
  await gadget.start();
  t.same(await gadget.hidDeviceNumber('hid.usb0'), { major: 240, minor: 1 });
  t.same(await gadget.hidDeviceNumber('hid.usb1'), { major: 240, minor: 2 });
  const e = await gadget.hidDeviceNumber('hid.usb9').then(() => null, (err: unknown) => err);
  t.ok(isAgentError(e, 'not-found'));
});
