/**
 * HidgDevice below the contract (test/contract/hid-device.ts, run in device-contract.test.ts):
 * errnos a FIFO cannot produce (injected syscalls), and finding the node of a bound function.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { errnoError } from '../../../agent/platform/errno';
import { HidgDevice, HidgOpener, type HidgSyscalls } from '../../../agent/hid/hidg';
import type { Paths } from '../../../agent/platform/paths';
import { drain, makeFifo, openPeer, settlesWithin, tempDirFor } from './fixtures/fifo';

const REPORT = Uint8Array.of(0x05, 0, 0x4c, 0, 0, 0, 0, 0);

t.test('EAGAIN followed by room: the write is retried and succeeds', async (t) => {
  let calls = 0;
  const written: number[][] = [];
  const sys: HidgSyscalls = {
    writeSync: (_fd, data) => {
      if (++calls <= 3) throw errnoError('EAGAIN', 'write');
      written.push([...data]);
      return data.length;
    },
    readSync: () => 0,
    closeSync: () => undefined,
  };
  const device = new HidgDevice(99, 'hidg-test', { retryMs: 1, giveUpMs: 1000 }, sys);
  await device.write(REPORT);
  t.equal(calls, 4, 'three EAGAINs then success');
  t.same(written, [[...REPORT]]);
});

t.test('ESHUTDOWN is host-offline at once, other errnos are translated', async (t) => {
  const attempts: string[] = [];
  const failing = (code: string): HidgSyscalls => ({
    writeSync: () => {
      attempts.push(code);
      throw errnoError(code, 'write', 'hidg0');
    },
    readSync: () => {
      throw errnoError(code, 'read', 'hidg0');
    },
    closeSync: () => undefined,
  });
  const down = new HidgDevice(1, 'hidg0', { retryMs: 5, giveUpMs: 60_000 }, failing('ESHUTDOWN'));
  await t.rejects(settlesWithin(down.write(REPORT), 2000), { code: 'host-offline' });
  t.same(attempts, ['ESHUTDOWN'], 'not retried');
  t.equal(down.readOutputReport(), null, 'read on a shut-down function: nothing pending');
  const io = new HidgDevice(1, 'hidg0', undefined, failing('EIO'));
  await t.rejects(io.write(REPORT), { code: 'io' });
  t.throws(() => io.readOutputReport(), { code: 'io' });
  const gone = new HidgDevice(1, 'hidg0', undefined, failing('ENODEV'));
  await t.rejects(gone.write(REPORT), { code: 'no-device' });
});

t.test('opening a missing node is not-found', async (t) => {
  t.throws(() => HidgDevice.open(path.join(tempDirFor(t), 'hidg7')), { code: 'not-found' });
});

function fakeTree(t: Parameters<typeof tempDirFor>[0], devContent: string | null, uevent: string | null): Paths {
  const root = tempDirFor(t, 'hidg-tree-');
  const paths: Paths = {
    configfsRoot: path.join(root, 'config'),
    sysfsRoot: path.join(root, 'sys'),
    devRoot: path.join(root, 'dev'),
    runDir: path.join(root, 'run'),
  };
  const fnDir = path.join(paths.configfsRoot, 'usb_gadget', 'agent', 'functions', 'hid.usb1');
  fs.mkdirSync(fnDir, { recursive: true });
  fs.mkdirSync(paths.devRoot, { recursive: true });
  if (devContent !== null) fs.writeFileSync(path.join(fnDir, 'dev'), devContent);
  if (uevent !== null) {
    const charDir = path.join(paths.sysfsRoot, 'dev', 'char', '236:1');
    fs.mkdirSync(charDir, { recursive: true });
    fs.writeFileSync(path.join(charDir, 'uevent'), uevent);
  }
  return paths;
}

t.test('HidgOpener resolves dev → uevent → node and opens it', async (t) => {
  const paths = fakeTree(t, '236:1\n', 'MAJOR=236\nMINOR=1\nDEVNAME=hidg1\n');
  const node = makeFifo(path.join(paths.devRoot, 'hidg1'));
  const opener = new HidgOpener(paths, 'agent');
  t.equal(await opener.resolveNode('hid.usb1'), node);
  const device = await opener.open('hid.usb1');
  const peer = openPeer(node);
  t.teardown(() => fs.closeSync(peer));
  await device.write(Uint8Array.of(1, 2, 3, 4, 5, 6));
  t.same([...drain(peer)], [1, 2, 3, 4, 5, 6]);
  await device.close();
});

t.test('HidgOpener failures name the cause', async (t) => {
  await t.rejects(new HidgOpener(fakeTree(t, null, null), 'agent').open('hid.usb1'), { code: 'not-found' }, 'no function');
  await t.rejects(new HidgOpener(fakeTree(t, '236:1\n', null), 'agent').open('hid.usb1'), { code: 'no-device' }, 'not bound');
  await t.rejects(new HidgOpener(fakeTree(t, 'garbage\n', null), 'agent').open('hid.usb1'), { code: 'no-device' }, 'bad dev');
  await t.rejects(
    new HidgOpener(fakeTree(t, '236:1\n', 'MAJOR=236\nDEVNAME=../../etc/passwd\n'), 'agent').open('hid.usb1'),
    { code: 'no-device' },
    'DEVNAME escaping devRoot',
  );
  await t.rejects(new HidgOpener(fakeTree(t, '236:1\n', 'MAJOR=236\nDEVNAME=hidg1\n'), 'agent').open('hid.usb1'), { code: 'not-found' }, 'no node');
});
