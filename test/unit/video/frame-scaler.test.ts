/**
 * Frames at the client's size (agent/video/frame-scaler.ts): os-autoinst's rule, and one scaling
 * per frame and size however many clients ask.
 */
import t from 'tap';
import { FrameScaler, parseFrameSize, type ResizeRgb, sharpResize, sizeFor } from '../../../agent/video/frame-scaler';
import type { Frame } from '../../../agent/video/frame';
import { RgbBufferPool } from '../../../agent/video/rgb-pool';

function frame(width: number, height: number, fill = 0x40): Frame {
  return { width, height, rgb: Buffer.alloc(width * height * 3, fill), sequence: 1, capturedAt: 0, online: true };
}

t.test('size syntax and bounds', async (t) => {
  t.same(parseFrameSize('1024x768'), { width: 1024, height: 768 });
  t.same(parseFrameSize('16x8192'), { width: 16, height: 8192 });
  for (const bad of ['', '1024', '1024x', 'x768', '1024X768', '1024x768 ', ' 1024x768', '15x768', '1024x8193', '-1x5', '1e3x768', '0x0', '99999x99999']) {
    t.throws(() => parseFrameSize(bad), { code: 'bad-argument', message: /size must be WIDTHxHEIGHT, each from 16 to 8192/ }, JSON.stringify(bad));
  }
  t.throws(() => parseFrameSize('1', '--video-size'), { message: /^--video-size must be/ }, 'names the option');
});

t.test("os-autoinst's rule: larger in either dimension → exactly the size; fits → unchanged", async (t) => {
  const screen = { width: 1024, height: 768 };
  t.same(sizeFor({ width: 1920, height: 1080 }, screen), screen);
  t.same(sizeFor({ width: 1280, height: 720 }, screen), screen, 'wider only: stretched as tinycv image_scale does');
  t.same(sizeFor({ width: 800, height: 1000 }, screen), screen, 'taller only');
  t.same(sizeFor({ width: 1024, height: 768 }, screen), screen);
  t.same(sizeFor({ width: 800, height: 600 }, screen), { width: 800, height: 600 }, 'not scaled up');
  t.same(sizeFor({ width: 1920, height: 1080 }, undefined), { width: 1920, height: 1080 }, 'no size asked');
});

t.test('one scaling per frame and size, however many ask; the same size costs nothing', async (t) => {
  let calls = 0;
  const counting: ResizeRgb = async (rgb, from, to) => {
    calls++;
    return sharpResize(rgb, from, to);
  };
  const scaler = new FrameScaler(counting);
  const big = frame(1920, 1080);
  const small = { width: 1024, height: 768 };
  const asks = [scaler.scaled(big, small), scaler.scaled(big, small), scaler.scaled(big, { width: 640, height: 480 })];
  const [a, b, c] = await Promise.all(asks);
  t.equal(calls, 2, 'two sizes → two scalings');
  t.equal(scaler.scalings, 2);
  t.equal(a, b, 'the second client gets the first one’s frame');
  t.match(a, { width: 1024, height: 768, sequence: 1, online: true, hold: undefined });
  t.equal(a!.rgb.length, 1024 * 768 * 3);
  t.same(a!.rgb.subarray(0, 6), Buffer.from([0x40, 0x40, 0x40, 0x40, 0x40, 0x40]), 'a flat colour stays that colour');
  t.match(c, { width: 640, height: 480 });
  const fits = frame(1024, 768);
  t.equal(scaler.scaled(fits, small), fits, 'a frame at the size is itself, synchronously');
  await scaler.scaled(frame(1920, 1080), small);
  t.equal(calls, 3, 'a new frame is scaled again');
});

t.test('pooled pixels are held while sharp reads them; a failure is retried', async (t) => {
  const pool = new RgbBufferPool(2);
  const { pooled, release } = pool.take(64 * 48 * 3);
  const source: Frame = { ...frame(64, 48), rgb: pooled.buffer, hold: pooled.hold };
  let finish: (b: Buffer) => void = () => undefined;
  let fail = true;
  const scaler = new FrameScaler((rgb, from, to) => {
    if (fail) {
      fail = false;
      return Promise.reject(new Error('vips said no'));
    }
    return new Promise<Buffer>((resolve) => (finish = resolve)).then(() => sharpResize(rgb, from, to));
  });
  await t.rejects(scaler.scaled(source, { width: 32, height: 24 }) as Promise<Frame>, /vips said no/);
  const pending = scaler.scaled(source, { width: 32, height: 24 });
  release(); // the producer lets go; the scaler still holds the pixels
  t.equal(pool.idleCount, 0, 'not back in the pool while scaling');
  finish(Buffer.alloc(0));
  t.match(await pending, { width: 32, height: 24 });
  await new Promise((r) => setImmediate(r));
  t.equal(pool.idleCount, 1, 'back in the pool once scaled');
});
