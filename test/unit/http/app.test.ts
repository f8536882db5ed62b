import t from 'tap';
import net from 'node:net';
import sharp from 'sharp';
import { get, readPpmFrames, waitFor } from './fixtures/client';
import { startFixture } from './fixtures/fixture';
import { parsePpmLikeOsAutoinst } from '../../doubles/os-autoinst-ppm';

t.test('single frames carry the signal state', async (t) => {
  const f = await startFixture({ width: 320, height: 240 });
  t.teardown(() => f.close());

  const ppm = await get(`${f.url}/frame.ppm`);
  t.equal(ppm.status, 200);
  t.equal(ppm.headers['x-signal'], 'online');
  t.equal(ppm.headers['content-type'], 'image/x-portable-pixmap');
  const parsed = parsePpmLikeOsAutoinst(ppm.body);
  t.match(parsed, { width: 320, height: 240, length: ppm.body.length });
  t.same(parsed!.rgb.subarray(-3), Buffer.from([0, 0, 0]), 'colour bars end with black at the right');

  const png = await get(`${f.url}/frame.png`);
  t.equal(png.headers['content-type'], 'image/png');
  t.match(await sharp(png.body).metadata(), { format: 'png', width: 320, height: 240 });
  const jpg = await get(`${f.url}/frame.jpg`);
  t.equal(jpg.headers['content-type'], 'image/jpeg');
  t.match(await sharp(jpg.body).metadata(), { format: 'jpeg', width: 320, height: 240 });

  f.source.goOffline('no-signal');
  const off = await get(`${f.url}/frame.png`);
  t.equal(off.status, 200, 'no signal is not an error');
  t.equal(off.headers['x-signal'], 'offline');
  t.equal(off.headers['x-signal-reason'], 'no-signal');
  t.match(await sharp(off.body).metadata(), { width: 320, height: 240 }, 'placeholder at the last mode');
});

t.test('fps validation', async (t) => {
  const f = await startFixture();
  t.teardown(() => f.close());
  for (const bad of ['0', '31', 'abc', '2.5', '-1', '']) {
    for (const path of ['/stream.ppm', '/stream.nut']) {
      const r = await get(`${f.url}${path}?fps=${encodeURIComponent(bad)}`);
      t.equal(r.status, 400, `${path}?fps=${bad} → 400`);
      t.match(r.body.toString(), /fps must be an integer from 1 to 30/);
    }
  }
  const twice = await get(`${f.url}/stream.ppm?fps=2&fps=3`);
  t.equal(twice.status, 400, 'repeated fps → 400');
  t.equal(f.hub.subscriberCount, 0, 'no subscription left by refused requests');
});

t.test('status API and page', async (t) => {
  const f = await startFixture({ width: 320, height: 240 });
  t.teardown(() => f.close());
  const s = await get(`${f.url}/api/status`);
  t.equal(s.status, 200);
  t.match(JSON.parse(s.body.toString()), { signal: { online: true, width: 320, height: 240, text: 'online, 320x240', changedAt: /^\d{4}-\d\d-\d\dT/ } });
  const page = await get(`${f.url}/`);
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /text\/html/);
  t.equal(page.headers['cache-control'], 'no-store');
  const html = page.body.toString();
  t.match(html, /<img id="preview" /);
  t.match(html, /fetch\(withToken\('api\/status'\)/);
  t.match(html, /'frame.jpg\?t='/);
  // Behind the nginx add-on the page is /agent/: an absolute path would reach kvmd, not the agent.
  t.same(html.match(/(?:src|href)="\/[^"]*"|['"(`]\/(?:frame|api|stream|ks)[^'"`)]*/g), null, 'no absolute URL in the page');
  const before = Date.now();
  f.source.goOffline('no-signal');
  const signal = JSON.parse((await get(`${f.url}/api/signal`)).body.toString());
  t.match(signal, { online: false, reason: 'no-signal', text: 'offline (no-signal), last mode 320x240' });
  const changedAt = Date.parse(signal.changedAt);
  t.ok(changedAt >= before - 50 && changedAt <= Date.now() + 50, `changedAt is the wall-clock time of the change (${signal.changedAt})`);
});

t.test('PPM stream: os-autoinst header rule, mode change, no leaked subscribers', async (t) => {
  const f = await startFixture({ width: 320, height: 240 });
  t.teardown(() => f.close());
  const { frames, headers } = await readPpmFrames(`${f.url}/stream.ppm?fps=10`, 3);
  t.equal(headers['content-type'], 'image/x-portable-pixmap');
  t.equal(frames.length, 3);
  t.ok(frames.every((fr) => fr.width === 320 && fr.height === 240));
  t.ok(await waitFor(() => f.hub.subscriberCount === 0), 'subscription closed when the client left');
  t.ok(await waitFor(() => f.app.streamStats.open === 0), 'stream count back to 0');

  const later = readPpmFrames(`${f.url}/stream.ppm?fps=10`, 6);
  await waitFor(() => f.hub.subscriberCount === 1);
  setTimeout(() => f.source.setMode(160, 120), 150);
  const seen = (await later).frames.map((fr) => `${fr.width}x${fr.height}`);
  t.equal(seen[0], '320x240');
  t.equal(seen.at(-1), '160x120', `the PPM stream follows the mode change (${seen.join(' ')})`);
});

t.test('a client that stops reading does not stall the others; its frames are dropped', async (t) => {
  const f = await startFixture({ width: 320, height: 240 });
  t.teardown(() => f.close());
  // A raw socket that sends the request and never reads the response.
  const stuck = net.connect(f.port, '127.0.0.1');
  stuck.write('GET /stream.ppm?fps=30 HTTP/1.1\r\nHost: x\r\n\r\n');
  stuck.pause();
  t.teardown(() => stuck.destroy());
  t.ok(await waitFor(() => f.hub.subscriberCount === 1), 'stuck client subscribed');
  const { frames } = await readPpmFrames(`${f.url}/stream.ppm?fps=30`, 30);
  t.equal(frames.length, 30, 'the reading client got its frames');
  t.ok(await waitFor(() => f.app.streamStats.dropped > 0), `frames dropped for the stuck client (${f.app.streamStats.dropped})`);
  stuck.destroy();
  t.ok(await waitFor(() => f.hub.subscriberCount === 0), 'stuck client released on disconnect');
});

t.test('?size=WxH: larger frames come at the client size, on every route; smaller ones as they are', async (t) => {
  const f = await startFixture({ width: 640, height: 480 });
  t.teardown(() => f.close());
  const ppm = parsePpmLikeOsAutoinst((await get(`${f.url}/frame.ppm?size=320x200`)).body);
  t.match(ppm, { width: 320, height: 200 });
  t.match(await sharp((await get(`${f.url}/frame.png?size=320x200`)).body).metadata(), { width: 320, height: 200 });
  t.match(await sharp((await get(`${f.url}/frame.jpg?size=320x200`)).body).metadata(), { width: 320, height: 200 });
  t.match(parsePpmLikeOsAutoinst((await get(`${f.url}/frame.ppm?size=1024x768`)).body), { width: 640, height: 480 }, 'not scaled up');

  const { frames } = await readPpmFrames(`${f.url}/stream.ppm?fps=10&size=320x200`, 3);
  t.same(frames.map((fr) => `${fr.width}x${fr.height}`), ['320x200', '320x200', '320x200']);
  // The synthetic source's colour bars end with black at the right, scaled or not.
  t.same(frames[0]!.rgb.subarray(-3), Buffer.from([0, 0, 0]));
});

t.test('two clients at one size: each frame is scaled once', async (t) => {
  const f = await startFixture({ width: 640, height: 480 });
  t.teardown(() => f.close());
  const before = f.app.frameScaler.scalings;
  const [a, b] = await Promise.all([
    readPpmFrames(`${f.url}/stream.ppm?fps=5&size=320x240`, 6),
    readPpmFrames(`${f.url}/stream.ppm?fps=5&size=320x240`, 6),
  ]);
  t.ok(a.frames.concat(b.frames).every((fr) => fr.width === 320 && fr.height === 240));
  const scalings = f.app.frameScaler.scalings - before;
  // 12 frames delivered; the two subscriptions are due on the same source frames, so ≈ 6 scalings
  // (a client subscribing a frame later may add one of its own).
  t.ok(scalings <= 8, `${scalings} scalings for 12 delivered frames`);
});

t.test('size validation: a clear 400, no stream opened', async (t) => {
  const f = await startFixture();
  t.teardown(() => f.close());
  for (const bad of ['1024', '1024x', 'x768', '8x8', '1024x9000', '1024*768', '']) {
    for (const path of ['/stream.ppm', '/stream.nut', '/frame.ppm', '/frame.png', '/frame.jpg']) {
      const r = await get(`${f.url}${path}?fps=2&size=${encodeURIComponent(bad)}`);
      t.equal(r.status, 400, `${path}?size=${bad} → 400`);
      t.match(r.body.toString(), /size must be WIDTHxHEIGHT, each from 16 to 8192, e.g. 1024x768/);
    }
  }
  const twice = await get(`${f.url}/stream.nut?size=320x240&size=640x480`);
  t.equal(twice.status, 400, 'repeated size → 400');
  t.match(twice.body.toString(), /size must be given once/);
  t.equal(f.hub.subscriberCount, 0, 'no subscription left by refused requests');
});
