import t from 'tap';
import { isAgentError } from '../../../agent/errors';
import {
  buildGadgetSpec,
  formatInquiry,
  hex16,
  resolveGadgetOptions,
  STORAGE_FUNCTION,
} from '../../../agent/gadget/spec';

t.test('IDs are written as 0x%04x', async (t) => {
  t.equal(hex16(0x104), '0x0104');
  t.equal(hex16(0x1d6b), '0x1d6b');
  const spec = buildGadgetSpec(resolveGadgetOptions({ productId: 0x44 }));
  t.same(
    spec.attributes.map((a) => `${a.name}=${String(a.value)}`),
    ['idVendor=0x1d6b', 'idProduct=0x0044', 'bcdDevice=0x0100', 'bcdUSB=0x0200'],
  );
});

t.test('inquiry string is fixed width 8+16+4', async (t) => {
  const s = formatInquiry({ vendor: 'PiKVM', product: 'Virtual Media', revision: '1.0' });
  t.equal(s.length, 28);
  t.equal(s, 'PiKVM   Virtual Media   1.0 ');
});

t.test('LUNs: lun.0 exists with the function, the rest are created', async (t) => {
  const spec = buildGadgetSpec(resolveGadgetOptions({ luns: 3 }));
  const storage = spec.functions.find((f) => f.name === STORAGE_FUNCTION)!;
  t.same(storage.children.map((c) => [c.name, c.create]), [['lun.0', false], ['lun.1', true], ['lun.2', true]]);
  const attrs = Object.fromEntries(storage.children[1]!.attributes.map((a) => [a.name, a.value]));
  t.same(attrs, { removable: '1', cdrom: '0', ro: '1', nofua: '0', inquiry_string: formatInquiry(resolveGadgetOptions().inquiry) });
});

t.test('invalid options are refused naming the option', async (t) => {
  const cases: Array<[object, string]> = [
    [{ luns: 0 }, 'gadget.luns'],
    [{ luns: 17 }, 'gadget.luns'],
    [{ vendorId: 0x10000 }, 'gadget.vendorId'],
    [{ bcdDevice: 0x010a }, 'gadget.bcdDevice'],
    [{ name: '../x' }, 'gadget.name'],
    [{ inquiry: { vendor: 'TOOLONGVENDOR' } }, 'gadget.inquiry.vendor'],
    [{ maxPower: 900 }, 'gadget.maxPower'],
  ];
  for (const [opts, key] of cases) {
    try {
      resolveGadgetOptions(opts);
      t.fail(`accepted ${JSON.stringify(opts)}`);
    } catch (e) {
      t.ok(isAgentError(e, 'bad-argument'), `${key}: bad-argument`);
      t.match((e as Error).message, key);
    }
  }
});
