import t from 'tap';
import { SimulatedHdmiSource, type VirtualScreen } from '../../../agent/sim/hdmi-source';
import { FrameHub } from '../../../agent/video/frame-hub';
import type { Frame, SignalState } from '../../../agent/video/frame';
import { glyphRows } from '../../../agent/video/font';
import { waitFor } from '../http/fixtures/client';

function pixel(f: { width: number; rgb: Buffer }, x: number, y: number): number[] {
  const o = (y * f.width + x) * 3;
  return [f.rgb[o]!, f.rgb[o + 1]!, f.rgb[o + 2]!];
}

t.test('renders the console, pointer and marks; follows power and mode', async (t) => {
  const sut: VirtualScreen = {
    powered: true,
    width: 320,
    height: 200,
    lines: ['Welcome', 'login: '],
    pointer: { x: 300, y: 180 },
    marks: [{ x: 200, y: 20, width: 10, height: 10, color: [0, 255, 0] }],
  };
  const source = new SimulatedHdmiSource({ screen: () => sut, pollMs: 20 });
  const hub = new FrameHub({ source });
  const states: SignalState[] = [];
  source.on('state', (s) => states.push(s));
  await hub.start();
  t.teardown(() => hub.stop());
  const frames: Frame[] = [];
  const sub = hub.subscribe(20, (f) => frames.push(f));
  t.teardown(() => sub.close());
  t.ok(await waitFor(() => frames.some((f) => f.online)), 'online frames arrive');
  const f = frames.find((fr) => fr.online)!;
  t.equal(f.width, 320);
  t.equal(f.height, 200);
  // The 'W' of "Welcome" at cell (0,0), drawn exactly from the font.
  const w = glyphRows('W');
  for (let r = 0; r < 16; r++) for (let c = 0; c < 8; c++) {
    const on = (w[r]! & (0x80 >> c)) !== 0;
    if (pixel(f, c, r).join() !== (on ? '170,170,170' : '0,0,0')) t.fail(`W pixel ${c},${r}`);
  }
  t.same(pixel(f, 205, 25), [0, 255, 0], 'mark drawn');
  t.same(pixel(f, 300, 180), [255, 255, 255], 'pointer drawn at its position');
  t.same(pixel(f, 100, 150), [0, 0, 0], 'background elsewhere');

  sut.powered = false;
  t.ok(await waitFor(() => hub.signal().online === false), 'power off → no signal');
  t.match(hub.signal(), { reason: 'no-signal', width: 320, height: 200 });
  const before = frames.length;
  t.ok(await waitFor(() => frames.length > before + 2), 'stream continues while off');
  t.ok(frames.slice(before + 1).every((fr) => !fr.online), 'with placeholders');

  sut.width = 640;
  sut.height = 480;
  sut.powered = true;
  t.ok(await waitFor(() => frames.at(-1)?.online === true && frames.at(-1)?.width === 640), 'power on in a new mode');
  t.equal(frames.at(-1)!.height, 480);
  t.ok(states.some((s) => s.online && s.width === 640 && s.height === 480), 'mode change announced as state');
});

t.test('idle: nothing rendered, but power changes are still noticed', async (t) => {
  const sut: VirtualScreen = { powered: false, width: 64, height: 32, lines: [], pointer: { x: 0, y: 0 } };
  const source = new SimulatedHdmiSource({ screen: () => sut, pollMs: 10 });
  const states: SignalState[] = [];
  source.on('state', (s) => states.push(s));
  await source.start();
  t.teardown(() => source.stop());
  t.match(states.at(-1), { online: false, reason: 'no-signal' });
  sut.powered = true;
  t.ok(await waitFor(() => states.at(-1)?.online === true), 'signal returns without any demand');
  t.equal(source.rendered, 0, 'no frame rendered without demand');
});

t.test("the SUT's change notice is followed at once, and let go on stop", async (t) => {
  const sut: VirtualScreen = { powered: true, width: 320, height: 200, lines: [], pointer: { x: 0, y: 0 } };
  const listeners = new Set<() => void>();
  const source = new SimulatedHdmiSource({
    screen: () => sut,
    pollMs: 60_000, // no poll during the test: only the notice can tell
    onSignalChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  const hub = new FrameHub({ source });
  await hub.start();
  t.equal(hub.signal().online, true);
  sut.powered = false;
  for (const l of listeners) l();
  t.match(hub.signal(), { online: false, reason: 'no-signal' }, 'no signal as soon as the SUT said so');
  sut.powered = true;
  sut.width = 640;
  for (const l of listeners) l();
  t.match(hub.signal(), { online: true, width: 640 });
  await hub.stop();
  t.equal(listeners.size, 0, 'unsubscribed on stop');
});
