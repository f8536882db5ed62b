import t from 'tap';
import { KEYBOARD_REPORT_DESCRIPTOR, POINTER_REPORT_DESCRIPTOR, reportBits } from '../../../agent/gadget/descriptors';
import { KEYBOARD_REPORT_LENGTH, POINTER_LOGICAL_MAX, POINTER_REPORT_LENGTH } from '../../../agent/gadget/spec';

/** Short items of a descriptor as [prefix, data] pairs (HID 1.11 §6.2.2.2). */
function items(d: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < d.length; ) {
    const size = [0, 1, 2, 4][d[i]! & 3]!;
    let data = 0;
    for (let b = 0; b < size; b++) data |= d[i + 1 + b]! << (8 * b);
    out.push([d[i]! & 0xfc, data]);
    i += 1 + size;
  }
  return out;
}

t.test('keyboard: 8-byte input report, 5 LED bits + padding as output', async (t) => {
  const bits = reportBits(KEYBOARD_REPORT_DESCRIPTOR);
  t.equal(bits.input, KEYBOARD_REPORT_LENGTH * 8);
  t.equal(bits.output, 8);
  t.same(bits.reportIds, [], 'no report id');
  const it = items(KEYBOARD_REPORT_DESCRIPTOR);
  t.same(it.slice(0, 3), [[0x04, 0x01], [0x08, 0x06], [0xa0, 0x01]], 'Generic Desktop / Keyboard / Application');
  const ledIndex = it.findIndex(([p, d]) => p === 0x04 && d === 0x08);
  t.ok(ledIndex > 0, 'LED usage page present');
  t.same(it.slice(ledIndex + 1, ledIndex + 6), [[0x18, 1], [0x28, 5], [0x74, 1], [0x94, 5], [0x90, 0x02]], '5 LED output bits');
});

t.test('pointer: 6-byte absolute report with a Physical collection', async (t) => {
  const bits = reportBits(POINTER_REPORT_DESCRIPTOR);
  t.equal(bits.input, POINTER_REPORT_LENGTH * 8);
  t.equal(bits.output, 0);
  t.same(bits.reportIds, []);
  const it = items(POINTER_REPORT_DESCRIPTOR);
  t.same(it.slice(0, 5), [[0x04, 0x01], [0x08, 0x02], [0xa0, 0x01], [0x08, 0x01], [0xa0, 0x00]], 'Mouse, Application, Pointer, Physical');
  t.ok(it.some(([p, d]) => p === 0x24 && d === POINTER_LOGICAL_MAX), 'logical max 32767');
  t.ok(it.some(([p, d]) => p === 0x28 && d === 5), 'five buttons');
  const inputs = it.filter(([p]) => p === 0x80).map(([, d]) => d);
  t.same(inputs, [0x02, 0x01, 0x02, 0x06], 'buttons abs, padding, X/Y abs, wheel relative');
  t.equal(it.filter(([p]) => p === 0xc0).length, 2, 'both collections closed');
});
