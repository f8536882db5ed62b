/**
 * Issue 11: `HEAD /stream.*` once opened a subscription that stayed until the client hung up, and
 * the number of stream clients had no bound. Now HEAD gets headers only and `maxStreams`
 * (`http.max_streams`) stream responses are served at once; more get 503 naming the key.
 */
import http from 'node:http';
import { once } from 'node:events';
import t from 'tap';
import { get, waitFor } from './fixtures/client';
import { startFixture } from './fixtures/fixture';

/** A stream request whose response head has arrived; the body is left unread. */
async function openStream(url: string): Promise<{ req: http.ClientRequest; res: http.IncomingMessage }> {
  const req = http.get(url);
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  return { req, res };
}

for (const path of ['/stream.ppm', '/stream.nut']) {
  t.test(`HEAD ${path}: the stream's headers, no body, no subscription`, async (t) => {
    const f = await startFixture();
    t.teardown(() => f.close());
    const req = http.request(`${f.url}${path}?fps=10`, { method: 'HEAD' });
    req.end();
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    t.equal(res.statusCode, 200);
    t.match(res.headers['content-type'], path.endsWith('nut') ? 'video/x-nut' : 'image/x-portable-pixmap');
    res.resume();
    // The old code never ended a HEAD response (it waited for frames): bounded, not hung.
    const ended = await Promise.race([once(res, 'end').then(() => true), new Promise<boolean>((r) => setTimeout(r, 3000, false))]);
    req.destroy();
    t.ok(ended, 'the response ends');
    t.equal(f.hub.subscriberCount, 0, 'nothing subscribed');
    t.equal(f.app.streamStats.open, 0, 'no stream counted');
  });
}

t.test('beyond maxStreams a stream request gets 503 naming http.max_streams; a closed stream frees its place', async (t) => {
  const f = await startFixture({ maxStreams: 2 });
  t.teardown(() => f.close());
  const first = await openStream(`${f.url}/stream.ppm?fps=10`);
  const second = await openStream(`${f.url}/stream.nut?fps=10`);
  t.teardown(() => [first, second].forEach((s) => s.req.destroy()));
  t.same([first.res.statusCode, second.res.statusCode], [200, 200], 'two streams served');

  const third = await get(`${f.url}/stream.ppm?fps=10`);
  t.equal(third.status, 503);
  t.equal(third.body.toString(), '2 streams are open (http.max_streams); try again later\n');
  t.equal(f.app.streamStats.refused, 1);
  t.equal(f.hub.subscriberCount, 2, 'the refused request did not subscribe');
  t.equal((await get(`${f.url}/frame.ppm`)).status, 200, 'single frames are not streams: still served');

  first.req.destroy();
  t.ok(await waitFor(() => f.app.streamStats.open === 1), 'the closed stream is counted off');
  const again = await openStream(`${f.url}/stream.ppm?fps=10`);
  t.teardown(() => again.req.destroy());
  t.equal(again.res.statusCode, 200, 'a new stream takes the free place');
});
