import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeConfigFs } from '../../../agent/gadget/node-configfs';
import { NodeSysFs } from '../../../agent/gadget/sysfs';
import { errnoOf } from '../../contract/configfs';
import { tempDir } from './fixtures/sim';

t.test('NodeConfigFs: rooted paths, no file creation on write, binary values, entry kinds', async (t) => {
  const root = tempDir('nodecfs-');
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const cfs = new NodeConfigFs(root);
  await cfs.mkdir('usb_gadget');
  await cfs.mkdir('usb_gadget/g');
  t.ok(fs.statSync(path.join(root, 'usb_gadget/g')).isDirectory(), 'made under the root');
  t.equal(await errnoOf(cfs.write('usb_gadget/g/idVendor', '0x1d6b')), 'ENOENT', 'write does not create');
  t.notOk(fs.existsSync(path.join(root, 'usb_gadget/g/idVendor')));
  fs.writeFileSync(path.join(root, 'usb_gadget/g/report_desc'), '');
  const bytes = Uint8Array.from([0x05, 0x01, 0x81, 0xff, 0xc0]);
  await cfs.write('usb_gadget/g/report_desc', bytes);
  t.same([...(await cfs.readBytes('usb_gadget/g/report_desc'))], [...bytes], 'bytes ≥ 0x80 kept');
  await cfs.mkdir('usb_gadget/g/f');
  await cfs.mkdir('usb_gadget/g/c');
  await cfs.symlink('usb_gadget/g/f', 'usb_gadget/g/c/f');
  t.equal(fs.readlinkSync(path.join(root, 'usb_gadget/g/c/f')), path.join(root, 'usb_gadget/g/f'));
  t.same(await cfs.list('usb_gadget/g'), [
    { name: 'c', kind: 'dir' },
    { name: 'f', kind: 'dir' },
    { name: 'report_desc', kind: 'file' },
  ]);
  t.same(await cfs.list('usb_gadget/g/c'), [{ name: 'f', kind: 'link' }]);
  t.equal(await cfs.exists('usb_gadget/g/c/f'), true);
  await cfs.unlink('usb_gadget/g/c/f');
  t.equal(await cfs.exists('usb_gadget/g/c/f'), false);
  await cfs.rmdir('usb_gadget/g/c');
  t.equal(await errnoOf(cfs.rmdir('usb_gadget/g/c')), 'ENOENT');
  t.equal(await errnoOf(cfs.list('usb_gadget/nope')), 'ENOENT');
});

t.test('NodeSysFs: reads and sorted lists under its root', async (t) => {
  const root = tempDir('nodesys-');
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, 'class/udc/z.usb'), { recursive: true });
  fs.mkdirSync(path.join(root, 'class/udc/a.usb'), { recursive: true });
  fs.writeFileSync(path.join(root, 'class/udc/a.usb/state'), 'configured\n');
  const sysfs = new NodeSysFs(root);
  t.same(await sysfs.list('class/udc'), ['a.usb', 'z.usb']);
  t.equal(await sysfs.read('class/udc/a.usb/state'), 'configured\n');
  t.equal(await errnoOf(sysfs.read('class/udc/z.usb/state')), 'ENOENT');
});
