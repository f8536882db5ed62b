/**
 * The ConfigFs contract suite (test/contract/configfs.ts) against the real configfs of the guest
 * kernel, through NodeConfigFs: the rules the simulated configfs imitates are the kernel's.
 */
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { configFsContract } from '../../contract/configfs';
import { configfs, gadgetsLeft } from './agent-stack';
import { assertInGuest, DUMMY_UDC } from './kernel-env';

assertInGuest();

t.test('ConfigFs contract on the real configfs', async (t) => {
  const scratch = await fs.mkdtemp(path.join(process.env.TMPDIR ?? '/tmp', 'ktier-contract-'));
  const imageFile = path.join(scratch, 'lun.img');
  await fs.writeFile(imageFile, Buffer.alloc(1024 * 1024));
  configFsContract(t, async () => ({
    fs: configfs(),
    udc: DUMMY_UDC,
    imageFile,
    missingFile: path.join(scratch, 'does-not-exist.img'),
    close: async () => undefined,
  }));
  t.teardown(async () => {
    await fs.rm(scratch, { recursive: true, force: true });
  });
});

t.test('the contract suite left usb_gadget/ empty', async (t) => {
  t.same(await gadgetsLeft(), []);
});
