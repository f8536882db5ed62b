/**
 * The status page as people open it: in Debian's headless Chromium, through Debian's nginx running
 * the shipped add-on (`/agent/` behind a stand-in for kvmd's login), served by the whole simulated
 * agent; and directly at `/` on the agent's own listener. The preview must load, the state must
 * follow what happens on the control socket, and the page must not ask for anything outside
 * `/agent/` (on a PiKVM that is kvmd).
 */
import { promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { launchChromium, waitForImage, waitForText } from '../helpers/chromium';
import { startSimAgent } from '../helpers/sim-agent';
import { LineClient } from '../helpers/socket-client';
import { freePort, nginxDir, REPO, startAuthStandIn, startNginx, TEST_AUTH } from '../unit/deploy/fixtures/nginx';
import { requireProgram } from '../unit/deploy/fixtures/tools';

const ARTIFACTS = path.join(REPO, 'artifacts/status-page');
const VIEWPORT = { width: 1280, height: 900 };

function fetchStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject);
  });
}

t.test('through the nginx add-on: preview, lease, USB, media, clients, kickstart, signal; nothing outside /agent/', async (t) => {
  const nginx = requireProgram(t, 'nginx');
  const browser = await launchChromium(t);
  if (!nginx || !browser) return;
  const ksDir = await fs.mkdtemp(path.join(os.tmpdir(), 'page-ks-'));
  t.teardown(() => fs.rm(ksDir, { recursive: true, force: true }));
  await fs.writeFile(path.join(ksDir, 'ks.cfg'), 'lang en_US\n# for {{ client_addr }}\n');
  const sim = await startSimAgent(t, [`http.listen=127.0.0.1:${await freePort()}`, `kickstart.dir=${ksDir}`]);
  const dir = nginxDir(t);
  const auth = await startAuthStandIn(t, dir);
  const { port } = await startNginx(t, nginx, dir, auth.socket, path.join(sim.dir, 'run', 'http.sock'));
  const base = `http://127.0.0.1:${port}`;

  const context = await browser.newContext({ viewport: VIEWPORT });
  const requested: string[] = [];
  context.on('request', (r) => requested.push(new URL(r.url()).pathname));
  const page = await context.newPage();

  t.equal((await page.goto(`${base}/agent/`))?.status(), 401, 'not logged in: kvmd\'s login refuses');
  await context.addCookies([{ name: TEST_AUTH.cookie, value: TEST_AUTH.value, url: base }]);
  t.equal((await page.goto(`${base}/agent/`))?.status(), 200);

  t.match(await waitForImage(page, 'preview'), { width: 1024, height: 768 }, 'the preview shows the SUT\'s 1024x768 screen');
  t.match(await waitForText(page, 'signal', /^online, 1024x768 · since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/), /ago\)$/);
  t.equal(await waitForText(page, 'lease', /^Free/), 'Free: kvmd has the devices');
  t.match(await waitForText(page, 'usb', /./), /^no gadget/);
  t.match(await waitForText(page, 'version', /./), /^0\.1\.0 · simulated PiKVM · running since \d{4}-/);
  t.match(await waitForText(page, 'hid', /./), /^client space 1024x768 · capture mode 1024x768 · pointer \d+,\d+/);

  // A test takes the devices and attaches a disk, then its client disconnects: the countdown runs.
  const image = path.join(sim.imageDir, 'disk.img');
  await fs.writeFile(image, Buffer.alloc(1 << 20));
  const ctl = await LineClient.connect(sim.socketPath);
  t.match(await ctl.send('acquire openqa-job-42'), /^ok /);
  t.equal(await ctl.send(`storage attach ${image}`), 'ok');
  await waitForText(page, 'clients', /^1 control client · 0 streams$/);
  t.match(await waitForText(page, 'lease-detail', /control client connected/), /^since .* · 1 control client connected: no idle release · stopped: kvmd, kvmd-otg$/);
  ctl.close();
  t.equal(await waitForText(page, 'lease', /^In use/), 'In use by openqa-job-42');
  t.match(await waitForText(page, 'lease-detail', /idle release in/), /^since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+ s ago\) · idle release in (9 min \d\d s|10 min 00 s) · stopped: kvmd, kvmd-otg$/);
  t.match(await waitForText(page, 'usb', /host reading/), /^configured, host reading · UDC dummy_udc\.0$/);
  t.equal(await waitForText(page, 'media', /disk\.img/), `LUN 0: ${image} (disk, read-only)`);
  t.equal(await waitForText(page, 'clients', /^0 control/), '0 control clients · 0 streams');

  // An installer fetches its kickstart file through nginx, without a login.
  t.equal(await fetchStatus(`${base}/ks.cfg`), 200);
  t.match(await waitForText(page, 'fetches', /ks/), /^timetemplateclientstatus\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\d+ s ago\)ks127\.0\.0\.1200$/);

  await fs.mkdir(ARTIFACTS, { recursive: true });
  const shot = path.join(ARTIFACTS, 'agent-page.png');
  await page.screenshot({ path: shot });
  t.match(await sharp(shot).metadata(), { format: 'png', width: VIEWPORT.width, height: VIEWPORT.height }, `screenshot ${shot}`);
  const { dominant } = await sharp(shot).stats();
  t.not(`${dominant.r},${dominant.g},${dominant.b}`, '255,255,255', 'the screenshot is the dark page, not a blank one');

  // The SUT is switched off: the signal line follows.
  const ctl2 = await LineClient.connect(sim.socketPath);
  t.teardown(() => ctl2.close());
  t.equal(await ctl2.send('sim power off'), 'ok {"powered":false}');
  t.match(await waitForText(page, 'signal', /^offline/), /^offline \([a-z-]+\), last mode 1024x768 · since /);
  const offlineSeenAt = await page.evaluate(() => Date.now());
  t.match(await waitForImage(page, 'preview', offlineSeenAt), { width: 1024, height: 768 }, 'the preview went on: the "NO SIGNAL" frame');
  t.equal(await waitForText(page, 'usb', /not reading/), 'not attached, host not reading · UDC dummy_udc.0');
  await page.screenshot({ path: path.join(ARTIFACTS, 'agent-page-power-off.png') });

  const outside = [...new Set(requested.filter((p) => !p.startsWith('/agent/')))];
  t.same(outside, [], 'every request of the page went to /agent/ (anything else reaches kvmd on a PiKVM)');
  t.ok(requested.filter((p) => p.startsWith('/agent/frame.jpg')).length >= 2, 'the preview is reloaded');
  t.ok(requested.filter((p) => p === '/agent/api/status').length >= 2, 'the status is polled');
});

t.test('directly on the agent\'s listener at /', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const sim = await startSimAgent(t, [`http.listen=127.0.0.1:${await freePort()}`]);
  const page = await browser.newPage({ viewport: VIEWPORT });
  const requested: string[] = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  t.equal((await page.goto(`http://127.0.0.1:${sim.agent.httpPort}/`))?.status(), 200);
  t.match(await waitForImage(page, 'preview'), { width: 1024, height: 768 });
  await waitForText(page, 'signal', /^online, 1024x768/);
  const ctl = await LineClient.connect(sim.socketPath);
  t.teardown(() => ctl.close());
  t.equal(await ctl.send('sim power off'), 'ok {"powered":false}');
  await waitForText(page, 'signal', /^offline/);
  t.same([...new Set(requested)].sort(), ['/', '/api/status', '/frame.jpg'], 'the same relative URLs, resolved at /');
});

t.test('on a listener with http.token, opened as /?token=T: every request of the page carries the token', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const sim = await startSimAgent(t, [`http.listen=127.0.0.1:${await freePort()}`, 'http.token=page-token']);
  const page = await browser.newPage({ viewport: VIEWPORT });
  const requested: string[] = [];
  page.on('request', (r) => requested.push(new URL(r.url()).search));
  t.equal((await page.goto(`http://127.0.0.1:${sim.agent.httpPort}/`))?.status(), 401, 'without it: 401');
  requested.length = 0;
  t.equal((await page.goto(`http://127.0.0.1:${sim.agent.httpPort}/?token=page-token`))?.status(), 200);
  t.match(await waitForImage(page, 'preview'), { width: 1024, height: 768 }, 'the preview loads');
  await waitForText(page, 'signal', /^online, 1024x768/);
  t.same(requested.filter((q) => !q.includes('token=page-token')), [], 'no request without the token');
});
