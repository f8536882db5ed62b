import t from 'tap';
import { isAgentError } from '../../../agent/errors';
import { applyAll, applyEach, describeOp, observeGadget } from '../../../agent/gadget/apply';
import { recordingLogger } from '../../../agent/log';
import { SimKernel } from '../../../agent/sim/kernel';

t.test('every mutation is logged with its fixed verb', async (t) => {
  const k = new SimKernel();
  const log = recordingLogger();
  await applyAll(
    k.configfs,
    [
      { verb: 'MKDIR', path: 'usb_gadget/g' },
      { verb: 'WRITE', path: 'usb_gadget/g/idVendor', value: '0x1d6b' },
      { verb: 'MKDIR', path: 'usb_gadget/g/configs/c.1' },
      { verb: 'MKDIR', path: 'usb_gadget/g/functions/hid.usb0' },
      { verb: 'WRITE', path: 'usb_gadget/g/functions/hid.usb0/report_desc', value: Uint8Array.from([1, 2, 3]) },
      { verb: 'LINK', path: 'usb_gadget/g/configs/c.1/hid.usb0', target: 'usb_gadget/g/functions/hid.usb0' },
      { verb: 'UNLINK', path: 'usb_gadget/g/configs/c.1/hid.usb0' },
      { verb: 'RMDIR', path: 'usb_gadget/g/functions/hid.usb0' },
    ],
    log,
  );
  t.same(
    log.records.filter((r) => r.level === 'info').map((r) => r.message),
    [
      'MKDIR usb_gadget/g',
      'WRITE usb_gadget/g/idVendor=0x1d6b',
      'MKDIR usb_gadget/g/configs/c.1',
      'MKDIR usb_gadget/g/functions/hid.usb0',
      'WRITE usb_gadget/g/functions/hid.usb0/report_desc=<3 bytes>',
      'LINK usb_gadget/g/configs/c.1/hid.usb0 -> usb_gadget/g/functions/hid.usb0',
      'UNLINK usb_gadget/g/configs/c.1/hid.usb0',
      'RMDIR usb_gadget/g/functions/hid.usb0',
    ],
  );
  t.equal(describeOp({ verb: 'WRITE', path: 'x/UDC', value: '\n' }), 'WRITE x/UDC=\\n');
});

t.test('setup mode stops at the first failure and names the op', async (t) => {
  const k = new SimKernel();
  const ops = [
    { verb: 'MKDIR' as const, path: 'usb_gadget/g' },
    { verb: 'WRITE' as const, path: 'usb_gadget/g/nonexistent', value: '1' },
    { verb: 'MKDIR' as const, path: 'usb_gadget/g/configs/c.1' },
  ];
  const error = await applyAll(k.configfs, ops, recordingLogger()).then(() => null, (e: unknown) => e);
  t.ok(isAgentError(error, 'not-found'), 'ENOENT → not-found');
  t.match((error as Error).message, 'WRITE usb_gadget/g/nonexistent');
  t.notOk(await k.configfs.exists('usb_gadget/g/configs/c.1'), 'later ops not run');
});

t.test('teardown mode tries every op and reports the failures', async (t) => {
  const k = new SimKernel();
  await applyAll(k.configfs, [
    { verb: 'MKDIR', path: 'usb_gadget/g' },
    { verb: 'MKDIR', path: 'usb_gadget/g/strings/0x409' },
  ], recordingLogger());
  const report = await applyEach(k.configfs, [
    { verb: 'RMDIR', path: 'usb_gadget/g' }, // ENOTEMPTY: strings/0x409 still there
    { verb: 'RMDIR', path: 'usb_gadget/g/strings/0x409' },
    { verb: 'UNLINK', path: 'usb_gadget/g/idVendor' }, // EPERM
  ], recordingLogger());
  t.same(report.failures.map((f) => [f.op.path, f.errno, f.error.code]), [
    ['usb_gadget/g', 'ENOTEMPTY', 'io'],
    ['usb_gadget/g/idVendor', 'EPERM', 'forbidden'],
  ]);
  t.same(report.applied.map((o) => o.path), ['usb_gadget/g/strings/0x409']);
});

t.test('optional ops are skipped when the path is absent', async (t) => {
  const k = new SimKernel({ noOutEndpoint: false });
  const log = recordingLogger();
  await applyAll(k.configfs, [{ verb: 'MKDIR', path: 'usb_gadget/g' }, { verb: 'MKDIR', path: 'usb_gadget/g/functions/hid.usb1' }], log);
  const report = await applyAll(k.configfs, [{ verb: 'WRITE', path: 'usb_gadget/g/functions/hid.usb1/no_out_endpoint', value: '1', optional: true }], log);
  t.equal(report.skipped.length, 1);
  t.equal(report.applied.length, 0);
});

t.test('observeGadget reads a half-built tree', async (t) => {
  const k = new SimKernel();
  t.equal(await observeGadget(k.configfs, 'g'), null, 'absent');
  await applyAll(k.configfs, [
    { verb: 'MKDIR', path: 'usb_gadget/g' },
    { verb: 'MKDIR', path: 'usb_gadget/g/configs/c.1' },
    { verb: 'MKDIR', path: 'usb_gadget/g/configs/c.1/strings/0x409' },
    { verb: 'MKDIR', path: 'usb_gadget/g/functions/mass_storage.usb0' },
    { verb: 'MKDIR', path: 'usb_gadget/g/functions/mass_storage.usb0/lun.3' },
    { verb: 'LINK', path: 'usb_gadget/g/configs/c.1/mass_storage.usb0', target: 'usb_gadget/g/functions/mass_storage.usb0' },
  ], recordingLogger());
  t.same(await observeGadget(k.configfs, 'g'), {
    name: 'g',
    udc: null,
    strings: [],
    configs: [{ name: 'c.1', links: ['mass_storage.usb0'], strings: ['0x409'] }],
    functions: [{ name: 'mass_storage.usb0', createdChildren: ['lun.3'] }],
    osDescLinks: [],
  });
});
