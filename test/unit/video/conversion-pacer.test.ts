/** The capture loop's pacing rules on a hand-driven clock (agent/video/sources/conversion-pacer.ts). */
import t from 'tap';
import { ConversionPacer, DEFAULT_SOURCE_FRAME_MS } from '../../../agent/video/sources/conversion-pacer';

const FRAME_60HZ = 1000 / 60;

/** Frames of a 60 Hz source at t = k/60 s, taken when due, over `seconds`. */
function conversions(pacer: ConversionPacer, seconds: number, from = 0): number[] {
  const taken: number[] = [];
  for (let k = 0; k * FRAME_60HZ < seconds * 1000; k++) {
    const now = from + k * FRAME_60HZ;
    if (pacer.takeIfDue(now)) taken.push(now);
  }
  return taken;
}

t.test('nothing is due at demand 0; the loop still looks at the device every idle period', async (t) => {
  const pacer = new ConversionPacer(250);
  pacer.setSourceRate(60);
  t.same(conversions(pacer, 2), []);
  t.equal(pacer.sleepMs(0), 250);
});

t.test('demand N converts N frames a second of a 60 Hz source, evenly', async (t) => {
  for (const fps of [1, 2, 4, 5, 10, 30]) {
    const pacer = new ConversionPacer(250);
    pacer.setSourceRate(60);
    pacer.setDemand(fps, 0);
    const taken = conversions(pacer, 10);
    t.ok(Math.abs(taken.length - 10 * fps) <= 1, `demand ${fps}: ${taken.length} conversions in 10 s`);
    const gaps = taken.slice(1).map((x, i) => x - taken[i]!);
    const period = 1000 / fps;
    t.ok(gaps.every((g) => g >= period - FRAME_60HZ - 1e-9 && g <= period + FRAME_60HZ + 1e-9), `demand ${fps}: gaps within a source frame of ${period.toFixed(1)} ms`);
  }
});

t.test('the first frame after a rise in demand is due at once, not on the old grid', async (t) => {
  const pacer = new ConversionPacer(250);
  pacer.setSourceRate(60);
  pacer.setDemand(1, 0);
  t.ok(pacer.takeIfDue(0));
  t.notOk(pacer.takeIfDue(100), 'demand 1: the next is due a second later');
  t.ok(pacer.setDemand(30, 100), 'a rise asks to wake the loop');
  t.ok(pacer.takeIfDue(100), 'due at once');
  t.notOk(pacer.setDemand(2, 150), 'a fall does not');
});

t.test('the loop sleeps until one source frame before the next due time, capped by the idle period', async (t) => {
  const pacer = new ConversionPacer(250);
  pacer.setSourceRate(60);
  pacer.setDemand(2, 0);
  t.ok(pacer.takeIfDue(0));
  // Next due at 500 ms, slack 10 ms: sleep at most 250 ms now ...
  t.equal(pacer.sleepMs(0), 250);
  // ... and later until one frame before (500 - 10) ms.
  t.equal(pacer.sleepMs(300), 500 - 10 - 300 - FRAME_60HZ);
  t.equal(pacer.sleepMs(470), 0, 'less than two source frames left: take frames as they come');
  t.ok(pacer.takeIfDue(490), 'due within the slack');
});

t.test('when frames are due about as often as the source sends them, the loop does not sleep', async (t) => {
  const pacer = new ConversionPacer(250);
  pacer.setSourceRate(60);
  pacer.setDemand(30, 0);
  for (let now = 0; now < 1000; now += FRAME_60HZ) {
    pacer.takeIfDue(now);
    t.equal(pacer.sleepMs(now), 0, `at ${now.toFixed(1)} ms`);
  }
});

t.test('an unknown source rate is taken as 30 Hz', async (t) => {
  const pacer = new ConversionPacer(1000);
  pacer.setSourceRate(0);
  pacer.setDemand(1, 0);
  pacer.takeIfDue(0);
  t.equal(pacer.sleepMs(0), 1000 - 10 - DEFAULT_SOURCE_FRAME_MS);
});
