/**
 * The agent's Gadget on the real kernel: it binds to dummy_udc.0, the host side enumerates a
 * keyboard, a pointer and a disk, teardown leaves usb_gadget/ empty, and a gadget orphaned by
 * kill -9 is cleaned up by the next start.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { recordingLogger } from '../../../agent/log';
import { gadgetsLeft, newGadget, vidPidOf, waitForHost } from './agent-stack';
import { assertInGuest, DUMMY_UDC, hostUsbDevices, readTrimmed, udcStateFile, waitFor } from './kernel-env';

assertInGuest();

t.test('start binds to dummy_udc.0 and the host enumerates keyboard, pointer and disk', async (t) => {
  const logger = recordingLogger('gadget');
  const gadget = newGadget({}, logger);
  t.teardown(() => gadget.stop());
  await gadget.start();
  const host = await waitForHost();
  t.match(host.keyboard, /hidraw\d+$/, `keyboard ${host.keyboard}`);
  t.match(host.pointer, /hidraw\d+$/, `pointer ${host.pointer}`);
  t.not(host.keyboard, host.pointer);
  t.equal(host.disks.length, 1, `disks: ${host.disks.join(', ')}`);
  const status = await gadget.status();
  t.equal(status.udc, DUMMY_UDC);
  t.equal(status.hostState, 'configured');
  t.equal(status.hostOnline, true);
  t.same([...status.functions].sort(), ['hid.usb0', 'hid.usb1', 'mass_storage.usb0']);

  const setupProblems = logger.records.filter((r) => r.level === 'warn' || r.level === 'error');
  t.same(setupProblems, [], 'every setup op succeeded');
  const before = logger.records.length;
  const result = await gadget.stop();
  t.same(result, { clean: true, failures: [], leftovers: [] });
  // Teardown retries failed ops in later passes, so a wrong order could still end clean: the
  // kernel must accept every op of the planned order on the first try.
  const teardown = logger.records.slice(before);
  t.same(teardown.filter((r) => r.level === 'warn' || r.level === 'error').map((r) => `${r.message} ${String(r.fields.path)} ${String(r.fields.errno)}`), [],
    'every teardown op succeeded first time, in the planned order');
  t.ok(teardown.some((r) => r.message.startsWith('RMDIR')), 'teardown removed directories');
  t.same(await gadgetsLeft(), [], 'usb_gadget/ is empty');
  // The host side is what tells: the device is gone from its bus. (dummy_hcd leaves the UDC's
  // `state` reading `configured` after an unbind; the agent does not trust it once unbound.)
  t.equal(await waitFor('the host to drop the device', async () => ((await hostUsbDevices()).some((d) => d.vidPid === vidPidOf()) ? undefined : true)), true);
});

t.test('start twice is idempotent; stop twice is harmless', async (t) => {
  const gadget = newGadget();
  await gadget.start();
  await gadget.start();
  await waitForHost();
  t.same(await gadgetsLeft(), ['pikvm-agent']);
  t.equal((await gadget.stop()).clean, true);
  t.equal((await gadget.stop()).clean, true);
  t.same(await gadgetsLeft(), []);
});

t.test('reconnect replugs: the host enumerates the gadget again', async (t) => {
  const gadget = newGadget();
  t.teardown(() => gadget.stop());
  await gadget.start();
  await waitForHost();
  await gadget.reconnect();
  const host = await waitForHost();
  t.equal(host.disks.length, 1);
  t.equal(await gadget.isHostOnline(), true);
});

/** A separate agent process that starts the gadget, says so, and waits to be killed. */
const ORPHAN_SCRIPT = `
const { Gadget } = require(process.argv[1] + '/agent/gadget/gadget');
const { NodeConfigFs } = require(process.argv[1] + '/agent/gadget/node-configfs');
const { NodeSysFs } = require(process.argv[1] + '/agent/gadget/sysfs');
const { silentLogger } = require(process.argv[1] + '/agent/log');
const { SYSTEM_PATHS } = require(process.argv[1] + '/agent/platform/paths');
const g = new Gadget({ configfs: new NodeConfigFs(SYSTEM_PATHS.configfsRoot), sysfs: new NodeSysFs(SYSTEM_PATHS.sysfsRoot),
  options: { udc: 'dummy_udc.0' }, logger: silentLogger });
g.start().then(() => { process.stdout.write('started\\n'); setInterval(() => {}, 1000); },
  (e) => { process.stderr.write(String(e) + '\\n'); process.exit(3); });
`;

t.test('after kill -9 of a running agent, the next start cleans up and works', async (t) => {
  // The compiled agent lives next to this file's compiled copy: dist/test/kernel/guest → dist.
  const distRoot = path.resolve(__dirname, '../../..');
  const child = spawn(process.execPath, ['-e', ORPHAN_SCRIPT, distRoot], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor('the orphaning agent to start', async () => (out.includes('started') ? true : undefined), 60_000);
  await waitForHost();
  child.kill('SIGKILL');
  t.equal(await exited, null, 'killed by a signal');
  t.same(await gadgetsLeft(), ['pikvm-agent'], 'kill -9 left the bound gadget behind');
  t.equal(await readTrimmed(udcStateFile()), 'configured', 'still enumerated by the host');

  const gadget = newGadget();
  t.teardown(() => gadget.stop());
  await gadget.start();
  const host = await waitForHost();
  t.equal(host.disks.length, 1, 'the restarted agent enumerates again');
  t.equal((await gadget.stop()).clean, true);
  t.same(await gadgetsLeft(), []);
});
