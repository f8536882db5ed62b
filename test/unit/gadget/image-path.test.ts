import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAgentError, type ErrorCode } from '../../../agent/errors';
import { resolveImagePath } from '../../../agent/gadget/image-path';
import { tempDir } from './fixtures/sim';

const base = tempDir('imgpath-');
t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
const images = path.join(base, 'images');
const outside = path.join(base, 'outside');
fs.mkdirSync(images);
fs.mkdirSync(outside);
fs.writeFileSync(path.join(images, 'fedora.iso'), 'iso');
fs.writeFileSync(path.join(outside, 'secret.img'), 'secret');
fs.mkdirSync(path.join(images, 'sub'));
fs.writeFileSync(path.join(images, 'sub', 'disk.img'), 'disk');
fs.symlinkSync(path.join(outside, 'secret.img'), path.join(images, 'escape.img'));
fs.symlinkSync(outside, path.join(images, 'escape-dir'));
fs.symlinkSync(path.join(images, 'fedora.iso'), path.join(images, 'alias.iso'));
fs.symlinkSync('/dev/null', path.join(images, 'null.img'));
fs.symlinkSync(images, path.join(base, 'images-link'));
const fifo = path.join(images, 'pipe.img');
const mkfifo = spawnSync('mkfifo', [fifo]);
const device = path.join(images, 'device.img');
const mknod = spawnSync('mknod', [device, 'c', '1', '3']); // the same device as /dev/null

async function codeOf(requested: string, dirs: string[] = [images]): Promise<ErrorCode | 'ok'> {
  try {
    await resolveImagePath(requested, dirs);
    return 'ok';
  } catch (e) {
    if (!isAgentError(e)) throw e;
    t.ok(e.message.includes(requested), `the error names ${requested}`);
    return e.code;
  }
}

t.test('files inside the image directories resolve to their real path', async (t) => {
  t.equal(await resolveImagePath(path.join(images, 'fedora.iso'), [images]), path.join(fs.realpathSync(images), 'fedora.iso'));
  t.equal(await resolveImagePath(path.join(images, 'sub', 'disk.img'), [images]), path.join(fs.realpathSync(images), 'sub', 'disk.img'));
  t.equal(await resolveImagePath(path.join(images, 'alias.iso'), [images]), path.join(fs.realpathSync(images), 'fedora.iso'), 'symlink inside');
  t.equal(await resolveImagePath('fedora.iso', [images]), path.join(fs.realpathSync(images), 'fedora.iso'), 'relative to the first dir');
  t.equal(
    await resolveImagePath(path.join(base, 'images-link', 'fedora.iso'), [path.join(base, 'images-link')]),
    path.join(fs.realpathSync(images), 'fedora.iso'),
    'image dir configured through a symlink',
  );
});

t.test('.. is refused even when it would land inside', async (t) => {
  t.equal(await codeOf(path.join(images, '..', 'outside', 'secret.img')), 'forbidden');
  t.equal(await codeOf(`${images}/sub/../fedora.iso`), 'forbidden');
  t.equal(await codeOf('../outside/secret.img'), 'forbidden');
});

t.test('symlink escapes are refused', async (t) => {
  t.equal(await codeOf(path.join(images, 'escape.img')), 'forbidden');
  t.equal(await codeOf(path.join(images, 'escape-dir', 'secret.img')), 'forbidden');
  t.equal(await codeOf(path.join(outside, 'secret.img')), 'forbidden', 'plainly outside');
});

t.test('device nodes, fifos and directories are refused', async (t) => {
  t.equal(await codeOf('/dev/null'), 'forbidden', 'device node outside');
  t.equal(await codeOf(path.join(images, 'null.img')), 'forbidden', 'symlink to a device node');
  t.equal(mkfifo.status, 0, 'mkfifo worked');
  t.equal(await codeOf(fifo), 'forbidden', 'fifo inside');
  t.equal(mknod.status, 0, `mknod worked ${mknod.stderr}`);
  t.equal(await codeOf(device), 'forbidden', 'char device inside');
  t.equal(await codeOf(path.join(images, 'sub')), 'forbidden', 'directory');
  t.equal(await codeOf(images), 'forbidden', 'the image dir itself');
});

t.test('missing file → not-found; no directories → forbidden', async (t) => {
  t.equal(await codeOf(path.join(images, 'missing.iso')), 'not-found');
  t.equal(await codeOf(path.join(images, 'fedora.iso'), []), 'forbidden');
  t.equal(await codeOf(path.join(images, 'fedora.iso'), [path.join(base, 'no-such-dir')]), 'forbidden');
});
