import t from 'tap';
import { planRelink, planSetup, planTeardown, type ObservedGadget, type Op } from '../../../agent/gadget/plan';
import { buildGadgetSpec, resolveGadgetOptions } from '../../../agent/gadget/spec';

const spec = buildGadgetSpec(resolveGadgetOptions({ luns: 2 }));
const G = 'usb_gadget/pikvm-agent';
const index = (ops: Op[], pred: (o: Op) => boolean) => ops.findIndex(pred);

t.test('planSetup: every directory is made before anything inside it', async (t) => {
  const ops = planSetup(spec);
  t.same(ops[0], { verb: 'MKDIR', path: G }, 'gadget dir first');
  for (const [i, op] of ops.entries()) {
    const parent = op.path.slice(0, op.path.lastIndexOf('/'));
    if (parent === 'usb_gadget' || !parent.startsWith(G)) continue;
    const defaults = /\/(configs|functions|strings|os_desc)$|\/configs\/c\.1\/strings$|\/lun\.0$/;
    if (parent === G || defaults.test(parent)) continue;
    const made = index(ops, (o) => o.verb === 'MKDIR' && o.path === parent);
    t.ok(made >= 0 && made < i, `${op.verb} ${op.path} after MKDIR ${parent}`);
  }
});

t.test('planSetup: IDs → strings → config → functions → links, no bind', async (t) => {
  const ops = planSetup(spec);
  const ids = index(ops, (o) => o.path === `${G}/idVendor`);
  const strings = index(ops, (o) => o.path === `${G}/strings/0x409`);
  const config = index(ops, (o) => o.path === `${G}/configs/c.1`);
  const maxPower = index(ops, (o) => o.path === `${G}/configs/c.1/MaxPower`);
  const firstFn = index(ops, (o) => o.path.startsWith(`${G}/functions/`));
  const firstLink = index(ops, (o) => o.verb === 'LINK');
  t.ok(ids > 0 && ids < strings && strings < config && config < maxPower && maxPower < firstFn && firstFn < firstLink, 'order');
  t.ok(ops.slice(firstLink).every((o) => o.verb === 'LINK'), 'links last');
  t.same(
    ops.filter((o) => o.verb === 'LINK').map((o) => [o.path, o.target]),
    ['hid.usb0', 'hid.usb1', 'mass_storage.usb0'].map((f) => [`${G}/configs/c.1/${f}`, `${G}/functions/${f}`]),
  );
  t.notOk(ops.some((o) => o.path.endsWith('/UDC')), 'bind is separate');
  t.same(ops.filter((o) => o.optional).map((o) => o.path), [`${G}/functions/hid.usb1/no_out_endpoint`]);
  t.ok(ops.some((o) => o.verb === 'MKDIR' && o.path === `${G}/functions/mass_storage.usb0/lun.1`), 'lun.1 created');
  t.notOk(ops.some((o) => o.verb === 'MKDIR' && o.path.endsWith('lun.0')), 'lun.0 not created');
});

t.test('planTeardown: unbind → unlink → config strings → configs → luns → functions → strings → gadget', async (t) => {
  const observed: ObservedGadget = {
    name: 'pikvm-agent',
    udc: 'dummy_udc.0',
    strings: ['0x409'],
    configs: [{ name: 'c.1', links: ['hid.usb0', 'mass_storage.usb0'], strings: ['0x409'] }],
    functions: [
      { name: 'hid.usb0', createdChildren: [] },
      { name: 'mass_storage.usb0', createdChildren: ['lun.1', 'lun.10', 'lun.2'] },
    ],
    osDescLinks: [],
  };
  const ops = planTeardown(observed).map((o) => `${o.verb} ${o.path.slice(G.length)}${o.value === undefined ? '' : `=${JSON.stringify(o.value)}`}`);
  t.same(ops, [
    'WRITE /UDC="\\n"',
    'UNLINK /configs/c.1/mass_storage.usb0',
    'UNLINK /configs/c.1/hid.usb0',
    'RMDIR /configs/c.1/strings/0x409',
    'RMDIR /configs/c.1',
    'RMDIR /functions/mass_storage.usb0/lun.10',
    'RMDIR /functions/mass_storage.usb0/lun.2',
    'RMDIR /functions/mass_storage.usb0/lun.1',
    'RMDIR /functions/mass_storage.usb0',
    'RMDIR /functions/hid.usb0',
    'RMDIR /strings/0x409',
    'RMDIR ',
  ]);
});

t.test('planTeardown of an unbound empty gadget is one rmdir', async (t) => {
  const ops = planTeardown({ name: 'x', udc: null, strings: [], configs: [], functions: [], osDescLinks: [] });
  t.same(ops, [{ verb: 'RMDIR', path: 'usb_gadget/x' }]);
});

t.test('planRelink: optional unlinks of every function, then links', async (t) => {
  const ops = planRelink(spec);
  t.same(ops.map((o) => `${o.verb}${o.optional ? '?' : ''} ${o.path.split('/').pop()}`), [
    'UNLINK? mass_storage.usb0',
    'UNLINK? hid.usb1',
    'UNLINK? hid.usb0',
    'LINK hid.usb0',
    'LINK hid.usb1',
    'LINK mass_storage.usb0',
  ]);
});
