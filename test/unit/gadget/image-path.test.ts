import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAgentError, type ErrorCode } from '../../../agent/errors';
import { MIN_CDROM_BYTES, openImage } from '../../../agent/gadget/image-path';
import { tempDir } from './fixtures/sim';

const base = tempDir('imgpath-');
t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
const images = path.join(base, 'images');
const outside = path.join(base, 'outside');
fs.mkdirSync(images);
fs.mkdirSync(outside);
const SECTOR = Buffer.alloc(512, 0x5a);
fs.writeFileSync(path.join(images, 'fedora.iso'), Buffer.alloc(MIN_CDROM_BYTES));
fs.writeFileSync(path.join(images, '..foo.img'), SECTOR);
fs.writeFileSync(path.join(images, 'small.img'), Buffer.alloc(511));
fs.writeFileSync(path.join(images, 'small.iso'), Buffer.alloc(MIN_CDROM_BYTES - 1));
fs.writeFileSync(path.join(outside, 'secret.img'), SECTOR);
fs.mkdirSync(path.join(images, 'sub'));
fs.writeFileSync(path.join(images, 'sub', 'disk.img'), SECTOR);
fs.symlinkSync(path.join(outside, 'secret.img'), path.join(images, 'escape.img'));
fs.symlinkSync(outside, path.join(images, 'escape-dir'));
fs.symlinkSync(path.join(images, 'fedora.iso'), path.join(images, 'alias.iso'));
fs.symlinkSync('/dev/null', path.join(images, 'null.img'));
fs.symlinkSync(images, path.join(base, 'images-link'));
const fifo = path.join(images, 'pipe.img');
const mkfifo = spawnSync('mkfifo', [fifo]);
const device = path.join(images, 'device.img');
const mknod = spawnSync('mknod', [device, 'c', '1', '3']); // the same device as /dev/null
const realImages = fs.realpathSync(images);

/** The real path `requested` opens to; the descriptor is closed again. */
async function realOf(requested: string, dirs: string[] = [images], cdrom = false): Promise<string> {
  const image = await openImage(requested, dirs, { cdrom });
  try {
    t.equal(fs.readlinkSync(image.kernelPath), image.path, 'the kernel path names the opened file');
    return image.path;
  } finally {
    await image.handle.close();
  }
}

const openFds = () => fs.readdirSync('/proc/self/fd').length;

async function codeOf(requested: string, dirs: string[] = [images], cdrom = false): Promise<ErrorCode | 'ok'> {
  const before = openFds();
  try {
    await realOf(requested, dirs, cdrom);
    return 'ok';
  } catch (e) {
    if (!isAgentError(e)) throw e;
    t.ok(e.message.includes(requested), `the error names ${requested}`);
    t.equal(openFds(), before, 'a refusal leaves no descriptor open');
    return e.code;
  }
}

t.test('files inside the image directories resolve to their real path', async (t) => {
  t.equal(await realOf(path.join(images, 'fedora.iso')), path.join(realImages, 'fedora.iso'));
  t.equal(await realOf(path.join(images, 'sub', 'disk.img')), path.join(realImages, 'sub', 'disk.img'));
  t.equal(await realOf(path.join(images, 'alias.iso')), path.join(realImages, 'fedora.iso'), 'symlink inside');
  t.equal(await realOf('fedora.iso'), path.join(realImages, 'fedora.iso'), 'relative to the first dir');
  t.equal(await realOf(path.join(base, 'images-link', 'fedora.iso'), [path.join(base, 'images-link')]), path.join(realImages, 'fedora.iso'), 'image dir configured through a symlink');
  t.equal(await realOf(path.join(images, '..foo.img')), path.join(realImages, '..foo.img'), 'a name starting with two dots is no traversal');
  t.equal(await realOf('..foo.img'), path.join(realImages, '..foo.img'), 'relative, too');
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

t.test('device nodes, fifos and directories are refused (and never opened for I/O)', async (t) => {
  t.equal(await codeOf('/dev/null'), 'forbidden', 'device node outside');
  t.equal(await codeOf(path.join(images, 'null.img')), 'forbidden', 'symlink to a device node');
  t.equal(mkfifo.status, 0, 'mkfifo worked');
  t.equal(await codeOf(fifo), 'forbidden', 'fifo inside (O_PATH: no open that waits for a writer)');
  t.equal(mknod.status, 0, `mknod worked ${mknod.stderr}`);
  t.equal(await codeOf(device), 'forbidden', 'char device inside');
  t.equal(await codeOf(path.join(images, 'sub')), 'forbidden', 'directory');
  t.equal(await codeOf(images), 'forbidden', 'the image dir itself');
});

t.test('media smaller than the kernel accepts: one sector for a disk, 300 frames for a CD-ROM', async (t) => {
  t.equal(await codeOf(path.join(images, 'small.img')), 'bad-argument', '511 bytes');
  t.equal(await codeOf(path.join(images, 'sub', 'disk.img')), 'ok', '512 bytes');
  t.equal(await codeOf(path.join(images, 'small.iso'), [images], true), 'bad-argument', '614399 bytes as a CD-ROM');
  t.equal(await codeOf(path.join(images, 'small.iso')), 'ok', 'the same file as a disk');
  t.equal(await codeOf(path.join(images, 'fedora.iso'), [images], true), 'ok', '614400 bytes as a CD-ROM');
  await t.rejects(openImage(path.join(images, 'small.img'), [images], { cdrom: false }), {
    message: `image ${path.join(images, 'small.img')} is 511 bytes; a disk image needs at least 512 bytes (one sector)`,
  });
});

t.test('missing file → not-found; no directories → forbidden', async (t) => {
  t.equal(await codeOf(path.join(images, 'missing.iso')), 'not-found');
  t.equal(await codeOf(path.join(images, 'fedora.iso'), []), 'forbidden');
  t.equal(await codeOf(path.join(images, 'fedora.iso'), [path.join(base, 'no-such-dir')]), 'forbidden');
});
