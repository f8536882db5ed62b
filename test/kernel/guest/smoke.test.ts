/**
 * Smoke test of the kernel tier itself: the guest kernel has configfs with usb_gadget, the dummy UDC
 * whose host side enumerates a gadget built by hand (no agent code), and vivid with an EDID.
 * If this fails, every other guest test is meaningless.
 */
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  assertInGuest, DUMMY_UDC, exists, hostNodesOf, paths, readTrimmed, run, udcStateFile, usbGadgetDir, waitFor,
} from './kernel-env';

assertInGuest();


t.test('configfs is mounted with the usb_gadget subsystem and nothing in it', async (t) => {
  t.same(await fs.readdir(usbGadgetDir()), []);
});

t.test('dummy_hcd registered its UDC', async (t) => {
  const udcs = await fs.readdir(path.join(paths.sysfsRoot, 'class/udc'));
  t.ok(udcs.includes(DUMMY_UDC), `UDCs: ${udcs.join(', ')}`);
  t.equal(await readTrimmed(path.join(paths.sysfsRoot, 'class/udc', DUMMY_UDC, 'function')), '', 'no gadget driver bound');
});

// A minimal boot keyboard built with plain fs calls, following drivers/usb/gadget/configfs.c.
const KEYBOARD_REPORT_DESC = Buffer.from(
  '05010906a101050719e029e71500250175019508810295017508810395057501050819012905910295017503910395067508' +
    '150025650507190029658100c0',
  'hex',
);

t.test('a hand-built HID gadget binds to dummy_udc.0 and the host side gets a hidraw node', async (t) => {
  const g = path.join(usbGadgetDir(), 'ktier-smoke');
  const w = (rel: string, v: string | Buffer) => fs.writeFile(path.join(g, rel), v);
  await fs.mkdir(g);
  await w('idVendor', '0x1d6b');
  await w('idProduct', '0x0104');
  await fs.mkdir(path.join(g, 'strings/0x409'));
  await w('strings/0x409/product', 'ktier smoke');
  await fs.mkdir(path.join(g, 'configs/c.1'));
  const f = path.join(g, 'functions/hid.usb0');
  await fs.mkdir(f);
  await fs.writeFile(path.join(f, 'protocol'), '1');
  await fs.writeFile(path.join(f, 'subclass'), '1');
  await fs.writeFile(path.join(f, 'report_length'), '8');
  await fs.writeFile(path.join(f, 'report_desc'), KEYBOARD_REPORT_DESC);
  await fs.symlink(f, path.join(g, 'configs/c.1/hid.usb0'));
  await w('UDC', DUMMY_UDC);

  t.equal(await waitFor('host to configure the gadget', async () => {
    const s = await readTrimmed(udcStateFile());
    return s === 'configured' ? s : undefined;
  }), 'configured');
  const nodes = await waitFor('hidraw node on the host side', async () => {
    const n = await hostNodesOf('1d6b:0104');
    return n.hidraw.length > 0 ? n : undefined;
  });
  t.equal(nodes.hidraw.length, 1, `hidraw: ${nodes.hidraw.join(', ')}`);
  t.ok(await exists(path.join(paths.devRoot, 'hidg0')), '/dev/hidg0 exists while bound');

  // Teardown in exact reverse of creation.
  await w('UDC', '\n');
  await fs.unlink(path.join(g, 'configs/c.1/hid.usb0'));
  await fs.rmdir(path.join(g, 'configs/c.1'));
  await fs.rmdir(f);
  await fs.rmdir(path.join(g, 'strings/0x409'));
  await fs.rmdir(g);
  t.same(await fs.readdir(usbGadgetDir()), [], 'usb_gadget/ is empty again');
});

t.test('vivid offers an HDMI input with a valid EDID', async (t) => {
  const video = path.join(paths.devRoot, 'video0');
  const info = await run('v4l2-ctl', ['-d', video, '--info']);
  t.equal(info.code, 0, info.stderr);
  t.match(info.stdout, /Driver name\s*:\s*vivid/);
  const file = path.join(process.env.TMPDIR ?? '/tmp', 'ktier-smoke-edid.bin');
  const edid = await run('v4l2-ctl', ['-d', video, `--get-edid=format=raw,file=${file}`]);
  t.equal(edid.code, 0, edid.stderr);
  const bytes = await fs.readFile(file);
  t.ok(bytes.length >= 128 && bytes.length % 128 === 0, `EDID length ${bytes.length}`);
  t.same([...bytes.subarray(0, 8)], [0, 255, 255, 255, 255, 255, 255, 0], 'EDID header');
  for (let block = 0; block < bytes.length / 128; block++) {
    const sum = bytes.subarray(block * 128, block * 128 + 128).reduce((a, b) => a + b, 0);
    t.equal(sum % 256, 0, `block ${block} checksum`);
  }
});
