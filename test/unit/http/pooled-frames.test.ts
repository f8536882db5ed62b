/**
 * Pooled frame buffers are not reused while a client's socket still has them queued: streams and
 * single frames read by slow clients arrive whole (the hold rule of agent/video/rgb-pool.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { createHttpApp } from '../../../agent/http/app';
import { FrameHub } from '../../../agent/video/frame-hub';
import { parsePpmLikeOsAutoinst } from '../../doubles/os-autoinst-ppm';
import { PooledPatternSource } from './fixtures/pooled-source';

const W = 1024;
const H = 768;

async function serve(t: Test) {
  const source = new PooledPatternSource(W, H, 5);
  const hub = new FrameHub({ source });
  await hub.start();
  const server = http.createServer(createHttpApp({ hub, status: () => ({}) }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await hub.stop();
  });
  return { source, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Reads `count` PPM frames, pausing the socket for `pauseMs` after every frame; returns each frame's distinct byte values. */
function readSlowly(url: string, count: number, pauseMs: number): Promise<number[][]> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let buf = Buffer.alloc(0);
      const frames: number[][] = [];
      res.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        for (let f = parsePpmLikeOsAutoinst(buf); f; f = parsePpmLikeOsAutoinst(buf)) {
          frames.push([...new Set(f.rgb)]);
          buf = buf.subarray(f.length);
          if (frames.length === count) {
            req.destroy();
            resolve(frames);
            return;
          }
          res.pause();
          setTimeout(() => res.resume(), pauseMs);
        }
      });
    });
    req.on('error', (e) => {
      if (!req.destroyed) reject(e);
    });
  });
}

t.test('a slow PPM client gets whole frames while the source reuses buffers', async (t) => {
  const { source, url } = await serve(t);
  const frames = await readSlowly(`${url}/stream.ppm?fps=30`, 25, 40);
  t.ok(source.reused > 10, `buffers were reused (${source.reused} times)`);
  const torn = frames.filter((values) => values.length !== 1);
  t.same(torn, [], 'every frame is one uniform value, none half overwritten');
});

t.test('two slow clients at different rates both get whole frames', async (t) => {
  const { source, url } = await serve(t);
  const [a, b] = await Promise.all([readSlowly(`${url}/stream.ppm?fps=20`, 15, 70), readSlowly(`${url}/stream.ppm?fps=30`, 20, 15)]);
  t.ok(source.reused > 10, `buffers were reused (${source.reused} times)`);
  t.same([...a!, ...b!].filter((values) => values.length !== 1), [], 'no torn frame');
});

t.test('single PNG frames are encoded from pixels that stay put', async (t) => {
  const { source, url } = await serve(t);
  const sharp = (await import('sharp')).default;
  const torn: number[][] = [];
  for (let i = 0; i < 12; i++) {
    const body = await new Promise<Buffer>((resolve, reject) => {
      http.get(`${url}/frame.png`, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      }).on('error', reject);
    });
    const { data } = await sharp(body).raw().toBuffer({ resolveWithObject: true });
    const values = [...new Set(data)];
    if (values.length !== 1) torn.push(values);
  }
  t.ok(source.reused > 5, `buffers were reused (${source.reused} times)`);
  t.same(torn, [], 'every PNG is one uniform value');
});
