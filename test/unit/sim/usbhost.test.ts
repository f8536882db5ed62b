import t from 'tap';
import { HidService } from '../../../agent/hid/service';
import { recordingLogger } from '../../../agent/log';
import { type UsbHostEvent, VirtualUsbHost } from '../../../agent/sim/usbhost';
import { KEY_PRESS_REPORTS, KEYBOARD_RELEASED, POINTER_REPORTS, POINTER_SCREEN } from '../../fixtures/hid-expectations';

function rig(options: { hostOnlineCheck?: boolean } = {}) {
  const sutMode = { width: 1024, height: 768 };
  const host = new VirtualUsbHost({ screen: () => sutMode });
  const service = new HidService({
    keyboard: () => host.hidDevice('hid.usb0'),
    pointer: () => host.hidDevice('hid.usb1'),
    isHostOnline: async () => (options.hostOnlineCheck === false ? true : host.isOnline()),
    logger: recordingLogger('hid'),
  });
  return { host, service, sutMode };
}

const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');

t.test('typing every printable ASCII character shows exactly that text', async (t) => {
  const { host, service } = rig();
  await service.typeText(PRINTABLE);
  t.equal(host.text(), PRINTABLE);
  t.same(host.pressedKeys(), [], 'nothing left down');
});

t.test('Enter, Tab and Backspace edit the console', async (t) => {
  const { host, service } = rig();
  await service.typeText('ab\tc\nxy');
  await service.key('backspace');
  await service.key('ret');
  t.equal(host.text(), 'ab\tc\nx\n');
});

t.test('the fixture press reports, fed straight to the host, type their own character', async (t) => {
  const host = new VirtualUsbHost();
  const keyboard = host.hidDevice('hid.usb0');
  for (const [name, report] of KEY_PRESS_REPORTS) {
    if (name.length !== 1) continue;
    host.clear();
    await keyboard.write(Uint8Array.from(report));
    await keyboard.write(Uint8Array.from(KEYBOARD_RELEASED));
    t.equal(host.text(), name, `report for ${JSON.stringify(name)}`);
  }
});

t.test('ctrl-alt-delete arrives as a chord and types nothing', async (t) => {
  const { host, service } = rig();
  await service.key('ctrl-alt-delete');
  const downs = host.events().filter((e): e is Extract<UsbHostEvent, { kind: 'key-down' }> => e.kind === 'key-down');
  t.same(
    downs.map((e) => e.key),
    ['control_l', 'alt_l', 'delete'],
  );
  t.same(downs[2]!.held, ['control_l', 'alt_l', 'delete'], 'all three held at the delete edge');
  const ups = host.events().filter((e) => e.kind === 'key-up');
  t.same(
    ups.map((e) => (e as { key: string }).key),
    ['delete', 'alt_l', 'control_l'],
    'released in reverse',
  );
  t.equal(host.text(), '');
  await service.key('ctrl-c');
  await service.key('altgr-e');
  await service.key('super-l');
  t.equal(host.text(), '', 'shortcuts type nothing');
  t.same(host.pressedKeys(), []);
});

t.test('Caps Lock: the host sends the LED report back, letters flip case, Shift flips back', async (t) => {
  const { host, service } = rig();
  service.refreshLeds();
  t.same(service.ledState(), { numLock: false, capsLock: false, scrollLock: false }, 'connect-time LED report drained');
  await service.key('caps');
  service.refreshLeds();
  t.same(service.ledState(), { numLock: false, capsLock: true, scrollLock: false });
  t.same(host.leds().capsLock, true);
  await service.typeText('aB1!');
  t.equal(host.text(), 'Ab1!', 'Caps affects letters only');
  await service.key('caps');
  service.refreshLeds();
  t.equal(service.ledState().capsLock, false);
});

t.test('pointer round trip: every pixel of the fixture and a sweep come back as sent', async (t) => {
  const { host, service } = rig();
  for (const p of POINTER_REPORTS) {
    await service.pointerMove(p.x, p.y, POINTER_SCREEN);
    await service.pointerButtons(p.buttons);
    t.same(host.pointer(), { x: p.x, y: p.y, buttons: p.buttons }, p.name);
    await service.pointerButtons(0);
  }
  let mismatches = 0;
  for (let x = 0; x < 1024; x += 7) {
    const y = (x * 3) % 768;
    await service.pointerMove(x, y, POINTER_SCREEN);
    const seen = host.pointer();
    if (seen.x !== x || seen.y !== y) mismatches++;
  }
  t.equal(mismatches, 0, 'sweep');
});

t.test('the client space maps onto the SUT whatever its mode: corners on corners, centre on centre', async (t) => {
  const { host, service, sutMode } = rig();
  for (const [w, h] of [
    [1920, 1080],
    [800, 600],
    [1024, 768],
  ] as const) {
    Object.assign(sutMode, { width: w, height: h }); // the SUT's mode; the client keeps os-autoinst's 1024x768
    const land = async (x: number, y: number) => (await service.pointerMove(x, y, POINTER_SCREEN), host.pointer());
    t.same(await land(0, 0), { x: 0, y: 0, buttons: 0 }, `${w}x${h}: top-left`);
    t.same(await land(1023, 0), { x: w - 1, y: 0, buttons: 0 }, `${w}x${h}: top-right`);
    t.same(await land(0, 767), { x: 0, y: h - 1, buttons: 0 }, `${w}x${h}: bottom-left`);
    t.same(await land(1023, 767), { x: w - 1, y: h - 1, buttons: 0 }, `${w}x${h}: bottom-right (mouse_hide)`);
    const centre = await land(512, 384);
    const ideal = { x: (512 * (w - 1)) / 1023, y: (384 * (h - 1)) / 767 };
    t.ok(Math.abs(centre.x - ideal.x) <= 1 && Math.abs(centre.y - ideal.y) <= 1, `${w}x${h}: centre ${centre.x},${centre.y} ≈ ${ideal.x.toFixed(1)},${ideal.y.toFixed(1)}`);
    // A client that works in the SUT's own pixels (screen W H) reaches every corner too.
    t.same((await service.pointerMove(w - 1, h - 1, { width: w, height: h }), host.pointer()), { x: w - 1, y: h - 1, buttons: 0 }, `${w}x${h}: in its own space`);
  }
});

t.test('clicks and the wheel are events at the pointer position', async (t) => {
  const { host, service } = rig();
  await service.pointerMove(100, 200, POINTER_SCREEN);
  host.clear();
  await service.pointerButtons(1);
  await service.pointerButtons(0);
  await service.pointerButtons(4);
  await service.pointerButtons(0);
  await service.wheel(-3);
  t.same(host.events(), [
    { kind: 'button-down', button: 'left', x: 100, y: 200 },
    { kind: 'button-up', button: 'left', x: 100, y: 200 },
    { kind: 'click', button: 'left', x: 100, y: 200 },
    { kind: 'button-down', button: 'middle', x: 100, y: 200 },
    { kind: 'button-up', button: 'middle', x: 100, y: 200 },
    { kind: 'click', button: 'middle', x: 100, y: 200 },
    { kind: 'wheel', delta: -3, x: 100, y: 200 },
  ]);
});

t.test('offline host: writes fail with host-offline, even without the service-side check', async (t) => {
  const { host, service } = rig({ hostOnlineCheck: false });
  host.setOnline(false);
  await t.rejects(service.key('a'), { code: 'host-offline' });
  await t.rejects(host.hidDevice('hid.usb1').write(new Uint8Array(6)), { code: 'host-offline' });
  t.equal(host.text(), '');
  host.setOnline(true);
  await service.typeText('ok');
  t.equal(host.text(), 'ok');
});

t.test('unplugging releases held keys on the host side; a host that stops polling times out', async (t) => {
  const host = new VirtualUsbHost();
  const keyboard = host.hidDevice('hid.usb0');
  await keyboard.write(Uint8Array.of(0x01, 0, 0x04, 0, 0, 0, 0, 0));
  t.same(host.pressedKeys(), ['control_l', 'a']);
  host.setOnline(false);
  t.same(host.pressedKeys(), []);
  host.setOnline(true);
  host.setPolling(false);
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('hung')), 3000)));
  await t.rejects(Promise.race([keyboard.write(new Uint8Array(8)), guard]), { code: 'host-offline' });
  clearTimeout(timer);
});

t.test('devices: unknown function refused, wrong report size refused, closed device refused', async (t) => {
  const host = new VirtualUsbHost();
  t.throws(() => host.hidDevice('hid.usb7'), { code: 'not-found' });
  const keyboard = host.hidDevice('hid.usb0');
  await t.rejects(keyboard.write(new Uint8Array(6)), { code: 'bad-argument' });
  await keyboard.close();
  await t.rejects(keyboard.write(new Uint8Array(8)), { code: 'no-device' });
  const reopened = host.hidDevice('hid.usb0');
  t.not(reopened, keyboard, 'a new device after close');
  await reopened.write(Uint8Array.of(0, 0, 0x0b, 0, 0, 0, 0, 0));
  await reopened.write(new Uint8Array(8));
  t.equal(host.text(), 'h');
});
