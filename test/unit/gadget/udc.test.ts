import t from 'tap';
import { isAgentError } from '../../../agent/errors';
import type { SysFs } from '../../../agent/gadget/sysfs';
import { discoverUdc, isHostConfigured, readHostState, unbindUdc } from '../../../agent/gadget/udc';
import { recordingLogger } from '../../../agent/log';
import { errnoError } from '../../../agent/platform/errno';
import { SimKernel } from '../../../agent/sim/kernel';

/** A SysFs over a plain map of files (directories are inferred from the paths). */
function mapSysFs(files: Record<string, string>): SysFs {
  return {
    read: async (p) => {
      const v = files[p];
      if (v === undefined) throw errnoError('ENOENT', 'open', p);
      return v;
    },
    list: async (p) => {
      const names = new Set(
        Object.keys(files)
          .filter((f) => f.startsWith(`${p}/`))
          .map((f) => f.slice(p.length + 1).split('/')[0]!),
      );
      if (names.size === 0) throw errnoError('ENOENT', 'scandir', p);
      return [...names].sort();
    },
  };
}

const sysfs = mapSysFs({
  'class/udc/fe980000.usb/state': 'configured\n',
  'class/udc/dummy_udc.0/state': 'suspended\n',
});

t.test('discovery: first sorted entry unless configured', async (t) => {
  t.equal(await discoverUdc(sysfs, ''), 'dummy_udc.0');
  t.equal(await discoverUdc(sysfs, 'fe980000.usb'), 'fe980000.usb');
  const missing = await discoverUdc(sysfs, 'other.usb').then(() => null, (e: unknown) => e);
  t.ok(isAgentError(missing, 'no-device'));
  t.match((missing as Error).message, /other\.usb.*dummy_udc\.0, fe980000\.usb/);
  const none = await discoverUdc(mapSysFs({}), '').then(() => null, (e: unknown) => e);
  t.ok(isAgentError(none, 'no-device'), 'no class/udc at all');
});

t.test('host state: configured means online; a vanished UDC is not attached', async (t) => {
  t.equal(await readHostState(sysfs, 'fe980000.usb'), 'configured');
  t.equal(await readHostState(sysfs, 'dummy_udc.0'), 'suspended');
  t.equal(await readHostState(sysfs, 'gone.usb'), 'not attached');
  t.equal(isHostConfigured('configured'), true);
  t.equal(isHostConfigured('suspended'), false);
  t.equal(isHostConfigured('not attached'), false);
});

t.test('unbind of an unbound gadget is success without a write', async (t) => {
  const k = new SimKernel();
  await k.configfs.mkdir('usb_gadget/g');
  const logger = recordingLogger();
  t.equal(await unbindUdc(k.configfs, 'g', logger), 'was-unbound');
  t.same(logger.records, []);
});
