import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { exchange, LineClient } from '../helpers/socket-client';
import { startSimAgent } from '../helpers/sim-agent';
import { expectReplies } from '../fixtures/replies';

/** The worked example of os-autoinst's generalhw input (reference/openqa-generalhw.md). */
const WORKED_EXAMPLE = [
  'mouse_move 320 420', 'mouse_move 325 420', 'mouse_move 320 420', 'mouse_button 1', 'mouse_button 0',
  'mouse_button 4', 'mouse_button 0', 'mouse_button 2', 'mouse_button 0', 'mouse_move 1023 767',
  'a', 'ctrl-x', 's', 'o', 'm', 'e', 'spc', 't', 'e', 's', 't', 'ret',
];

t.test('the os-autoinst worked example: one ok per line, the SUT sees text and pointer', async (t) => {
  const { socketPath, agent } = await startSimAgent(t);
  const replies = await exchange(socketPath, WORKED_EXAMPLE.join('\n') + '\n');
  t.same(replies, WORKED_EXAMPLE.map(() => 'ok'));
  const sim = agent.sim!;
  t.equal(sim.host.text(), 'asome test\n', 'ctrl-x is a shortcut, not text');
  t.same(sim.host.pointer(), { x: 1023, y: 767, buttons: 0 }, 'mouse_hide corner');
  const clicks = sim.host.events().filter((e) => e.kind === 'click');
  t.same(clicks.map((c) => (c as { button: string }).button), ['left', 'middle', 'right']);
  t.same(sim.host.pressedKeys(), []);
});

t.test('sim commands answer with JSON', async (t) => {
  const { socketPath } = await startSimAgent(t);
  const c = await LineClient.connect(socketPath);
  t.teardown(() => c.close());
  await expectReplies(t, (line) => c.send(line), [
    ['type Hello, World!', 'ok'],
    ['sim text', 'ok "Hello, World!"'],
    ['mouse_move 512 384', 'ok'],
    ['sim pointer', 'ok {"x":512,"y":384,"buttons":0}'],
    ['sim clear', 'ok'],
    ['cmd ls -l /', 'ok'],
    ['sim text', 'ok "ls -l /\\n"'],
  ]);
});

t.test('host offline: input answers host-offline promptly, online again types with no stuck key', async (t) => {
  const { socketPath, agent } = await startSimAgent(t);
  const c = await LineClient.connect(socketPath);
  t.teardown(() => c.close());
  await expectReplies(t, (line) => c.send(line), [
    ['sim host offline', 'ok'],
    ['a', /^error: host-offline /],
    ['type abc', /^error: host-offline /],
    ['status', /"hostOnline":false/],
    ['sim host online', 'ok'],
    ['sim clear', 'ok'],
    ['type xyz', 'ok'],
  ]);
  t.equal(agent.sim!.host.text(), 'xyz');
  t.same(agent.sim!.host.pressedKeys(), []);
});

t.test('a held button is released when its client disconnects', async (t) => {
  const { socketPath, agent } = await startSimAgent(t);
  const c = await LineClient.connect(socketPath);
  t.equal(await c.send('mouse_button 1'), 'ok');
  t.equal(agent.sim!.host.pointer().buttons, 1);
  c.close();
  for (let i = 0; i < 50 && agent.sim!.host.pointer().buttons !== 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(agent.sim!.host.pointer().buttons, 0);
});

t.test('reconnect replugs the gadget and input keeps working', async (t) => {
  const { socketPath, agent } = await startSimAgent(t);
  const replies = await exchange(socketPath, 'a\nreconnect\nb\nreconnect\nc\n');
  t.same(replies, ['ok', 'ok', 'ok', 'ok', 'ok']);
  t.equal(agent.sim!.host.text(), 'abc');
});

t.test('storage: attach from the image directory, refuse outside it, eject', async (t) => {
  const { socketPath, agent, imageDir, dir } = await startSimAgent(t);
  const image = path.join(imageDir, 'install.iso');
  await fs.writeFile(image, Buffer.alloc(300 * 2048, 1)); // the smallest CD-ROM f_mass_storage takes
  await fs.writeFile(path.join(imageDir, '..dotted.img'), Buffer.alloc(512));
  await fs.writeFile(path.join(imageDir, 'tiny.img'), Buffer.alloc(511));
  const outside = path.join(dir, 'secret.img');
  await fs.writeFile(outside, 'x');
  await fs.symlink(outside, path.join(imageDir, 'escape.img'));
  const c = await LineClient.connect(socketPath);
  t.teardown(() => c.close());
  t.equal(await c.send(`storage attach --cdrom ${image}`), 'ok');
  t.same(agent.sim!.media(), [{ lun: 0, file: image, cdrom: true, readOnly: true }]);
  await expectReplies(t, (line) => c.send(line), [
    [`storage attach ${path.join(imageDir, 'escape.img')}`, /^error: forbidden /, 'a link out of the image directory'],
    [`storage attach ${imageDir}/../secret.img`, /^error: forbidden /, 'a path out of the image directory'],
    ['storage attach /dev/null', /^error: forbidden /, 'a device node'],
    [`storage attach ${path.join(imageDir, 'missing.iso')}`, /^error: not-found /, 'a missing image'],
    [`storage attach ${path.join(imageDir, 'tiny.img')}`, /^error: bad-argument .* is 511 bytes; a disk image needs at least 512 bytes/, 'less than a sector'],
    [`storage attach --cdrom ${path.join(imageDir, '..dotted.img')}`, /^error: bad-argument .* a CD-ROM image needs at least 614400 bytes/, 'less than 300 frames'],
  ]);
  t.same(agent.sim!.media(), [{ lun: 0, file: image, cdrom: true, readOnly: true }], 'refusals change nothing');
  t.equal(await c.send(`storage attach --rw ${image}`), 'ok', 'changing flags of an attached LUN avoids EBUSY');
  t.same(agent.sim!.media(), [{ lun: 0, file: image, cdrom: false, readOnly: false }]);
  t.equal(await c.send('storage attach --lun 0 ..dotted.img'), 'ok', 'a name starting with two dots is inside');
  t.same(agent.sim!.media(), [{ lun: 0, file: path.join(imageDir, '..dotted.img'), cdrom: false, readOnly: true }]);
  t.equal(await c.send('storage eject'), 'ok');
  t.same(agent.sim!.media(), []);
  t.match(await c.send('storage status'), /^ok \[\{"lun":0,"file":null/);
});

t.test('stop releases keys, ejects media and removes the gadget', async (t) => {
  const { agent, socketPath, imageDir } = await startSimAgent(t);
  const image = path.join(imageDir, 'disk.img');
  await fs.writeFile(image, Buffer.alloc(512));
  t.same(await exchange(socketPath, `mouse_button 1\nstorage attach ${image}\n`), ['ok', 'ok']);
  await agent.stop();
  t.same(agent.sim!.kernel.gadgets(), [], 'usb_gadget/ is empty');
  t.same(await agent.sim!.kernel.configfs.list('usb_gadget'), []);
  t.equal(agent.sim!.host.pointer().buttons, 0);
});
