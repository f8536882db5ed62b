import t from 'tap';
import { AgentError } from '../../../agent/errors';
import { RecordingHidDevice } from '../../doubles/recording-hid-device';
import { COMBO_PRESS_REPORTS, KEY_PRESS_REPORTS, POINTER_REPORTS, POINTER_SCREEN } from '../../fixtures/hid-expectations';
import { fillFifo, hidgOnFifo, settlesWithin } from './fixtures/fifo';
import { harness, heldCount, YieldingDevice, ZERO8 } from './fixtures/harness';

/** ctrl-alt-delete, one key added per report, released in reverse (LCtrl 0x01, LAlt 0x04, Delete 0x4c). */
const CTRL_ALT_DELETE = [
  [0x01, 0, 0, 0, 0, 0, 0, 0],
  [0x05, 0, 0, 0, 0, 0, 0, 0],
  [0x05, 0, 0x4c, 0, 0, 0, 0, 0],
  [0x05, 0, 0, 0, 0, 0, 0, 0],
  [0x01, 0, 0, 0, 0, 0, 0, 0],
  ZERO8,
];

t.test('every key name and combo: one key added per report up to the expected chord, released in reverse', async (t) => {
  const { service, keyboard } = harness();
  for (const [name, expected] of [...KEY_PRESS_REPORTS, ...COMBO_PRESS_REPORTS]) {
    keyboard.writes.length = 0;
    await service.key(name);
    const reports = keyboard.reports();
    const k = reports.length / 2;
    const ok =
      Number.isInteger(k) &&
      k >= 1 &&
      reports.every((r, i) => heldCount(r) === (i < k ? i + 1 : 2 * k - 1 - i)) &&
      reports.slice(0, k - 1).every((r, i) => JSON.stringify(r) === JSON.stringify(reports[2 * k - 2 - i]));
    t.ok(ok, `${JSON.stringify(name)}: press/release staircase`);
    t.same(reports[k - 1], expected, `${JSON.stringify(name)}: full chord`);
    t.same(reports[reports.length - 1], ZERO8, `${JSON.stringify(name)}: ends all-released`);
  }
});

t.test('ctrl-alt-delete: the exact report sequence', async (t) => {
  const { service, keyboard } = harness();
  await service.key('ctrl-alt-delete');
  t.same(keyboard.reports(), CTRL_ALT_DELETE);
});

t.test('unknown keys are refused before anything is written', async (t) => {
  const { service, keyboard } = harness();
  await t.rejects(service.key('ctrl-bogus'), { code: 'unknown-key' });
  await t.rejects(service.typeText('ok\u00e9'), { code: 'unknown-key' });
  t.same(keyboard.reports(), []);
});

t.test('concurrent callers never interleave', async (t) => {
  const keyboard = new YieldingDevice();
  const { service } = harness({ keyboard });
  const done = await Promise.all([service.key('ctrl-alt-delete'), service.typeText('Ab'), service.key('shift-tab')]);
  t.equal(done.length, 3);
  const A = [0x02, 0, 0x04, 0, 0, 0, 0, 0];
  const shift = [0x02, 0, 0, 0, 0, 0, 0, 0];
  t.same(keyboard.reports(), [
    ...CTRL_ALT_DELETE,
    shift,
    A,
    shift,
    ZERO8,
    [0, 0, 0x05, 0, 0, 0, 0, 0],
    ZERO8,
    shift,
    [0x02, 0, 0x2b, 0, 0, 0, 0, 0],
    shift,
    ZERO8,
  ]);
});

t.test('a failed write mid-combo: all-release is attempted and the first error rethrown', async (t) => {
  const { service, keyboard, pointer } = harness();
  keyboard.failWrites((_r, i) => (i === 2 ? new AgentError('host-offline', 'first failure') : undefined));
  await t.rejects(service.key('ctrl-alt-delete'), { code: 'host-offline', message: 'first failure' });
  const reports = keyboard.reports();
  t.same(reports.slice(0, 2), CTRL_ALT_DELETE.slice(0, 2), 'ctrl, then ctrl-alt, then the failure');
  t.same(reports[reports.length - 1], ZERO8, 'keyboard released after the failure');
  t.same(pointer.reports(), [[0, 0, 0, 0, 0, 0]], 'pointer buttons released too');
});

t.test('when the release fails as well, the first error still wins and the service keeps working', async (t) => {
  const { service, keyboard } = harness();
  let failing = true;
  keyboard.failWrites((_r, i) => (failing ? new AgentError('host-offline', `failure ${i}`) : undefined));
  await t.rejects(service.key('a'), { code: 'host-offline', message: 'failure 0' });
  failing = false;
  await service.key('b');
  t.same(keyboard.reports(), [[0, 0, 0x05, 0, 0, 0, 0, 0], ZERO8]);
});

t.test('an offline host is refused before any write', async (t) => {
  const { service, keyboard, pointer, setOnline } = harness();
  setOnline(false);
  await t.rejects(service.key('a'), { code: 'host-offline' });
  await t.rejects(service.typeText('abc'), { code: 'host-offline' });
  await t.rejects(service.pointerMove(1, 1, POINTER_SCREEN), { code: 'host-offline' });
  t.same(keyboard.reports(), [], 'nothing pressed on the keyboard');
  t.notOk(
    pointer.reports().some((r) => r[0] !== 0),
    'nothing but releases on the pointer',
  );
  setOnline(true);
  await service.key('a');
  t.same(keyboard.reports().slice(-2), [[0, 0, 0x04, 0, 0, 0, 0, 0], ZERO8]);
});

t.test('a host that stops reading: host-offline within the bound through a real non-blocking fd', async (t) => {
  const { device, host } = hidgOnFifo(t);
  fillFifo(host);
  const { service } = harness({ deps: { keyboard: () => device } });
  await t.rejects(settlesWithin(service.key('ctrl-alt-delete'), 3000), { code: 'host-offline' });
  await t.resolves(settlesWithin(service.releaseAll(), 3000), 'releaseAll never throws');
});

t.test('typeText: characters, newline, tab; carriage return dropped', async (t) => {
  const { service, keyboard } = harness();
  await service.typeText('a\r\n\t');
  t.same(keyboard.reports(), [[0, 0, 0x04, 0, 0, 0, 0, 0], ZERO8, [0, 0, 0x28, 0, 0, 0, 0, 0], ZERO8, [0, 0, 0x2b, 0, 0, 0, 0, 0], ZERO8]);
});

t.test('pointer: fixture positions, buttons keep the position, clamping, wheel steps', async (t) => {
  const { service, pointer } = harness();
  for (const p of POINTER_REPORTS) {
    pointer.writes.length = 0;
    await service.pointerButtons(0);
    await service.pointerMove(p.x, p.y, POINTER_SCREEN);
    await service.pointerButtons(p.buttons);
    t.same(pointer.reports().pop(), p.report, p.name);
  }
  await service.pointerButtons(0);
  pointer.writes.length = 0;
  await service.pointerMove(5000, -20, POINTER_SCREEN);
  t.same(pointer.reports(), [[0, 0xff, 0x7f, 0, 0, 0]], 'clamped to the top-right pixel');
  t.same(service.pointerPosition(), { x: 1023, y: 0, space: POINTER_SCREEN, buttons: 0 });
  pointer.writes.length = 0;
  await service.wheel(-300);
  t.same(
    pointer.reports().map((r) => (r[5]! << 24) >> 24),
    [-127, -127, -46],
  );
  await t.rejects(service.pointerButtons(32), { code: 'bad-argument' });
  await t.rejects(service.pointerMove(Number.NaN, 1, POINTER_SCREEN), { code: 'bad-argument' });
  await t.rejects(service.pointerMove(1, 1, { width: 1, height: 768 }), { code: 'bad-argument' });
  await t.rejects(service.wheel(1.5), { code: 'bad-argument' });
});

t.test('positions are in the caller\'s space: its corners are the logical extremes whatever the space', async (t) => {
  const { service, pointer } = harness();
  t.same(service.pointerPosition(), { x: 0, y: 0, space: null, buttons: 0 }, 'no move yet');
  for (const space of [POINTER_SCREEN, { width: 1920, height: 1080 }, { width: 800, height: 600 }]) {
    const label = `${space.width}x${space.height}`;
    await service.pointerMove(space.width - 1, space.height - 1, space);
    t.same(pointer.reports().pop(), [0, 0xff, 0x7f, 0xff, 0x7f, 0], `${label}: bottom-right is 32767,32767`);
    await service.pointerMove(0, space.height - 1, space);
    t.same(pointer.reports().pop(), [0, 0, 0, 0xff, 0x7f, 0], `${label}: bottom-left`);
    await service.pointerButtons(1);
    t.same(pointer.reports().pop(), [1, 0, 0, 0xff, 0x7f, 0], `${label}: a button keeps the position`);
    await service.pointerButtons(0);
  }
  // The same numbers in two spaces are two places: 1023,767 is the corner of 1024x768, not of 1920x1080.
  await service.pointerMove(1023, 767, { width: 1920, height: 1080 });
  t.same(pointer.reports().pop(), [0, 0x3c, 0x44, 0xfc, 0x5a, 0], '1023,767 of 1920x1080 is logical 17468,23292');
  t.same(service.pointerPosition(), { x: 1023, y: 767, space: { width: 1920, height: 1080 }, buttons: 0 });
  // os-autoinst's wiggle at the edge and a test's mouse_set past it: the edge, not an error.
  await service.pointerMove(1028, 770, POINTER_SCREEN);
  t.same(pointer.reports().pop(), [0, 0xff, 0x7f, 0xff, 0x7f, 0], 'past the edge is the edge');
  t.same(service.pointerPosition(), { x: 1023, y: 767, space: POINTER_SCREEN, buttons: 0 });
});

t.test('releaseAll sends all-zero reports and never throws', async (t) => {
  const { service, keyboard, pointer } = harness();
  await service.pointerMove(100, 100, POINTER_SCREEN);
  await service.pointerButtons(1);
  await service.releaseAll();
  t.same(keyboard.reports(), [ZERO8]);
  t.equal(pointer.reports().pop()![0], 0, 'buttons released');
  keyboard.failWrites(() => new AgentError('host-offline', 'gone'));
  await t.resolves(service.releaseAll());
});

t.test('no device (gadget not bound) is no-device', async (t) => {
  const { service } = harness({ deps: { keyboard: () => null, pointer: () => null } });
  await t.rejects(service.key('a'), { code: 'no-device' });
  await t.rejects(service.pointerMove(1, 1, POINTER_SCREEN), { code: 'no-device' });
  await t.resolves(service.releaseAll());
});

t.test('LED state follows the last output report; start/stop run the poll and release', async (t) => {
  const keyboard = new RecordingHidDevice();
  const { service } = harness({ keyboard, deps: { ledPollMs: 5 } });
  keyboard.pushOutputReport(Uint8Array.of(0x00));
  keyboard.pushOutputReport(Uint8Array.of(0x03));
  service.refreshLeds();
  t.same(service.ledState(), { numLock: true, capsLock: true, scrollLock: false }, 'last report wins');
  await service.start();
  await service.start();
  keyboard.pushOutputReport(Uint8Array.of(0x04));
  await settlesWithin(
    (async () => {
      while (!service.ledState().scrollLock) await new Promise((r) => setTimeout(r, 5));
    })(),
    3000,
  );
  t.same(service.ledState(), { numLock: false, capsLock: false, scrollLock: true }, 'the timer polled');
  await service.stop();
  await service.stop();
  t.same(keyboard.reports().pop(), ZERO8, 'stop released the keyboard');
});
