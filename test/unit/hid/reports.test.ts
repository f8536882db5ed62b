import t from 'tap';
import {
  keyboardReport,
  ledReport,
  logicalToScreen,
  parseKeyboardReport,
  parseLedReport,
  parsePointerReport,
  pointerReport,
  screenToLogical,
} from '../../../agent/hid/reports';
import { POINTER_REPORTS, POINTER_SCREEN } from '../../fixtures/hid-expectations';

t.test('pointer reports for the corners and the centre of 1024x768', async (t) => {
  for (const p of POINTER_REPORTS) {
    const x = screenToLogical(p.x, POINTER_SCREEN.width);
    const y = screenToLogical(p.y, POINTER_SCREEN.height);
    t.same([...pointerReport(p.buttons, x, y, 0)], p.report, p.name);
  }
});

t.test('screenToLogical maps the first and last pixel exactly and clamps', async (t) => {
  for (const size of [640, 768, 800, 1024, 1080, 1920, 4096]) {
    t.equal(screenToLogical(0, size), 0, `${size}: 0`);
    t.equal(screenToLogical(size - 1, size), 32767, `${size}: last pixel`);
    t.equal(screenToLogical(-5, size), 0, `${size}: below`);
    t.equal(screenToLogical(size + 100, size), 32767, `${size}: beyond`);
  }
  t.equal(screenToLogical(0, 1), 0, 'a 1-pixel axis');
});

t.test('logicalToScreen inverts screenToLogical for every pixel', async (t) => {
  for (const size of [2, 3, 640, 767, 768, 1023, 1024, 1920]) {
    let bad = -1;
    let last = -1;
    for (let px = 0; px < size; px++) {
      const logical = screenToLogical(px, size);
      if (logical <= last) bad = px; // strictly increasing
      last = logical;
      if (logicalToScreen(logical, size) !== px) bad = px;
    }
    t.equal(bad, -1, `size ${size}: round trip and monotonic`);
  }
});

t.test('keyboardReport layout and limits', async (t) => {
  t.same([...keyboardReport(0x05, [0x4c])], [0x05, 0, 0x4c, 0, 0, 0, 0, 0]);
  t.same([...keyboardReport(0, [4, 5, 6, 7, 8, 9])], [0, 0, 4, 5, 6, 7, 8, 9]);
  t.throws(() => keyboardReport(0, [4, 5, 6, 7, 8, 9, 10]), { name: 'AgentError', code: 'bad-argument' });
  t.throws(() => keyboardReport(0x100, []), { name: 'AgentError', code: 'bad-argument' });
  t.throws(() => keyboardReport(0, [0]), { name: 'AgentError', code: 'bad-argument' });
  t.same(parseKeyboardReport(Uint8Array.of(0x22, 0, 0, 0x04, 0, 0x05, 0, 0)), { modifiers: 0x22, keys: [0x04, 0x05] });
});

t.test('pointerReport clamps, encodes the wheel as i8 and parses back', async (t) => {
  t.same([...pointerReport(0, 40000, -3, -1)], [0, 0xff, 0x7f, 0, 0, 0xff]);
  t.same([...pointerReport(0x1f, 1, 2, 500)], [0x1f, 1, 0, 2, 0, 0x7f]);
  t.same([...pointerReport(0, 0, 0, -500)], [0, 0, 0, 0, 0, 0x81]);
  t.throws(() => pointerReport(0x20, 0, 0), { name: 'AgentError', code: 'bad-argument' });
  t.same(parsePointerReport(Uint8Array.of(0x04, 0x10, 0x40, 0x15, 0x40, 0xfd)), { buttons: 4, x: 0x4010, y: 0x4015, wheel: -3 });
});

t.test('LED output report bits', async (t) => {
  t.same(parseLedReport(Uint8Array.of(0x02)), { numLock: false, capsLock: true, scrollLock: false });
  t.same(parseLedReport(Uint8Array.of(0x07)), { numLock: true, capsLock: true, scrollLock: true });
  t.same(parseLedReport(new Uint8Array(0)), { numLock: false, capsLock: false, scrollLock: false });
  t.same([...ledReport({ numLock: true, capsLock: false, scrollLock: true })], [0x05]);
});
