/** The simulated PiKVM's VideoPort: timings follow the virtual SUT; an EDID moves the SUT to its preferred mode. */
import t from 'tap';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SimulatedPikvm } from '../../../agent/sim/pikvm';
import { SimVideoPort } from '../../../agent/sim/video-port';
import { cvtTiming, parseEdid, readEdidFile } from '../../../agent/edid';
import { NoSignalError } from '../../../agent/capture/owner/no-signal-error';
import { refreshRate } from '../../../agent/capture/timings';

const REPO = path.resolve(__dirname, '../../..');
const EDID_1024 = path.join(REPO, 'edid/1024x768.hex');
const EDID_1080 = path.join(REPO, 'edid/1920x1080.hex');

function setup() {
  const sim = new SimulatedPikvm({ screen: { width: 1024, height: 768 } });
  const port = new SimVideoPort({ sut: sim.sut, edidFile: EDID_1024 });
  return { sim, port };
}

t.test('powered off is no-signal; apply() refuses with the state', async (t) => {
  const { sim, port } = setup();
  sim.setPower(false);
  t.same(await port.query(), { state: 'no-signal' });
  const e = await port.apply().then(() => undefined, (x: unknown) => x);
  t.ok(e instanceof NoSignalError);
  t.equal((e as NoSignalError).state, 'no-signal');
  t.equal((await port.timings()).state, 'no-signal');
});

t.test('known modes get their DMT timings, others CVT', async (t) => {
  const { sim, port } = setup();
  const q = await port.query();
  t.match(q, { state: 'online', timings: { width: 1024, height: 768, pixelclock: 65_000_000, hsync: 136, vsync: 6 } });

  sim.sut.setMode(1280, 1024);
  const dmt = await port.query();
  // VESA DMT 0x23: 108 MHz, 1280+48+112+248 by 1024+1+3+38, both syncs positive.
  t.match(dmt, { state: 'online', timings: { width: 1280, height: 1024, pixelclock: 108_000_000, hfrontporch: 48, hsync: 112, hbackporch: 248, vbackporch: 38, hsyncPositive: true } });

  sim.sut.setMode(1000, 700);
  const cvt = await port.query();
  const expected = cvtTiming(1000, 700, 60, { reducedBlanking: false });
  t.match(cvt, { state: 'online', timings: { width: 1000, height: 700, pixelclock: expected.pixelClockHz, hsync: expected.hSync, vsync: expected.vSync } });
  if (cvt.state === 'online') t.ok(Math.abs(refreshRate(cvt.timings) - 60) < 1, `refresh ${refreshRate(cvt.timings)}`);
});

t.test('apply() sets what timings() reports', async (t) => {
  const { sim, port } = setup();
  sim.sut.setMode(1280, 1024);
  t.equal((await port.timings()).timings.width, 1024, 'not applied yet: the receiver keeps its timings');
  const q = await port.apply();
  t.same(await port.timings(), q);
});

t.test('setEdid validates, remembers, and the SUT switches to the preferred mode', async (t) => {
  const { sim, port } = setup();
  await port.setEdid(EDID_1080);
  t.equal(port.edid, EDID_1080);
  t.same(sim.sut.mode(), { width: 1920, height: 1080 });
  const preferred = parseEdid(readEdidFile(await fs.readFile(EDID_1080)).bytes).preferred!.timing;
  t.match(await port.query(), { state: 'online', timings: { width: 1920, height: 1080, pixelclock: preferred.pixelClockHz, hfrontporch: preferred.hFrontPorch } });

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sim-edid-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const bad = path.join(dir, 'broken.bin');
  const bytes = Buffer.from(readEdidFile(await fs.readFile(EDID_1024)).bytes);
  bytes[0] = 0x12; // header broken, checksum too
  await fs.writeFile(bad, bytes);
  await t.rejects(port.setEdid(bad), { code: 'bad-argument', message: /broken\.bin/ });
  t.same(sim.sut.mode(), { width: 1920, height: 1080 }, 'a refused EDID changes nothing');
  t.equal(port.edid, EDID_1080);

  await port.setEdid(null);
  t.equal(port.edid, EDID_1024, 'null loads the configured EDID');
  t.same(sim.sut.mode(), { width: 1024, height: 768 });
});
