import { lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { AgentError, isAgentError } from '../../../agent/errors';
import { silentLogger } from '../../../agent/log';
import { DEFAULT_LIMITS, KickstartStore } from '../../../agent/kickstart/store';

const MAX_TEMPLATE_BYTES = DEFAULT_LIMITS.templateBytes;
import { KS_TEMPLATE, makeKsDir } from './fixtures/ks-dir';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return isAgentError(e) ? (e as AgentError).code : `not an AgentError: ${String(e)}`;
  }
}

t.test('read: by name, symlinks inside the directory followed', async (t) => {
  const k = makeKsDir();
  t.teardown(k.cleanup);
  const store = new KickstartStore({ dir: k.dir, logger: silentLogger });
  t.equal(await store.read('ks'), KS_TEMPLATE);
  t.equal(await store.read('latest'), 'lang en_US\nfedora {{ hostname }}\n');
  t.same(await store.list(), ['broken', 'escape', 'fedora-40', 'ks', 'latest', 'needs-more', 'relative-escape', 'subdir']);
});

t.test('read: traversal, dots, symlinks out, non-files and missing templates are refused', async (t) => {
  const k = makeKsDir();
  t.teardown(k.cleanup);
  const store = new KickstartStore({ dir: k.dir, logger: silentLogger });
  const outcomes: Record<string, string> = {};
  for (const name of ['..', '../outside/secret', '%2e%2e', 'a.b', '.hidden', 'plain', 'ks.cfg', '', 'x'.repeat(65), 'escape', 'relative-escape', 'subdir', 'absent']) {
    outcomes[name] = await code(store.read(name));
  }
  t.same(outcomes, {
    '..': 'bad-argument',
    '../outside/secret': 'bad-argument',
    '%2e%2e': 'bad-argument',
    'a.b': 'bad-argument',
    '.hidden': 'bad-argument',
    plain: 'not-found',
    'ks.cfg': 'bad-argument',
    '': 'bad-argument',
    ['x'.repeat(65)]: 'bad-argument',
    escape: 'forbidden',
    'relative-escape': 'forbidden',
    subdir: 'forbidden',
    absent: 'not-found',
  });
});

t.test('read: a template over the size limit is refused', async (t) => {
  const k = makeKsDir();
  t.teardown(k.cleanup);
  writeFileSync(path.join(k.dir, 'huge.cfg'), 'x'.repeat(MAX_TEMPLATE_BYTES + 1));
  const store = new KickstartStore({ dir: k.dir, logger: silentLogger });
  t.equal(await code(store.read('huge')), 'too-long');
});

t.test('set: writes atomically, replaces, validates name, size and syntax', async (t) => {
  const k = makeKsDir();
  t.teardown(k.cleanup);
  const store = new KickstartStore({ dir: k.dir, logger: silentLogger });
  await store.set('job-17', 'first {{ x }}\n');
  await store.set('job-17', 'second {{ x }}\n');
  t.equal(readFileSync(path.join(k.dir, 'job-17.cfg'), 'utf8'), 'second {{ x }}\n');
  t.same(readdirSync(k.dir).filter((f) => f.includes('tmp')), [], 'no temp file left behind');
  t.equal(await code(store.set('../evil', 'x')), 'bad-argument');
  t.equal(await code(store.set('a.b', 'x')), 'bad-argument');
  t.equal(await code(store.set('big', 'é'.repeat(MAX_TEMPLATE_BYTES / 2 + 1))), 'too-long', 'size counts UTF-8 bytes');
  t.equal(await code(store.set('max', 'x'.repeat(MAX_TEMPLATE_BYTES))), 'ok', 'exactly the limit is fine');
  t.equal(await code(store.set('nul', 'a\0b')), 'bad-argument');
  t.equal(await code(store.set('syntax', 'x {{ oops')), 'bad-argument');
  t.notOk(readdirSync(k.dir).includes('syntax.cfg'));
});

t.test('set: replaces a symlink instead of writing through it', async (t) => {
  const k = makeKsDir();
  t.teardown(k.cleanup);
  const store = new KickstartStore({ dir: k.dir, logger: silentLogger });
  await store.set('escape', 'mine\n');
  t.equal(readFileSync(path.join(k.outside, 'secret.cfg'), 'utf8'), 'root password hash\n', 'the target outside is untouched');
  t.notOk(lstatSync(path.join(k.dir, 'escape.cfg')).isSymbolicLink());
  t.equal(await store.read('escape'), 'mine\n');
});

t.test('uploads go to the upload dir, which is searched first', async (t) => {
  const k = makeKsDir();
  t.teardown(k.cleanup);
  const store = new KickstartStore({ dir: k.dir, uploadDir: path.join(k.uploads, 'kickstart'), logger: silentLogger });
  await store.set('ks', 'per-job {{ hostname }}\n');
  t.equal(readFileSync(path.join(k.dir, 'ks.cfg'), 'utf8'), KS_TEMPLATE, 'the shipped template is untouched');
  t.equal(await store.read('ks'), 'per-job {{ hostname }}\n');
  t.equal(await store.read('fedora-40'), 'lang en_US\nfedora {{ hostname }}\n', 'others still come from the dir');
  symlinkSync(path.join(k.dir, 'fedora-40.cfg'), path.join(k.uploads, 'kickstart', 'link.cfg'));
  t.equal(await code(store.read('link')), 'forbidden', 'the upload dir is confined too');
});

/** A store with small bounds over an empty upload directory. */
function boundedStore(t: Test) {
  const k = makeKsDir();
  t.teardown(k.cleanup);
  const uploads = path.join(k.uploads, 'kickstart');
  const store = new KickstartStore({ dir: k.dir, uploadDir: uploads, limits: { templateBytes: 1000, uploads: 3, uploadBytes: 2500 }, logger: silentLogger });
  return { store, uploads, k };
}

async function message(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return isAgentError(e) ? `${e.code} ${e.message}` : String(e);
  }
}

t.test('uploads: files 0640 in a 0750 directory', async (t) => {
  const { store, uploads } = boundedStore(t);
  await store.set('job-1', 'x\n');
  t.equal(statSync(uploads).mode & 0o777, 0o750);
  t.equal(statSync(path.join(uploads, 'job-1.cfg')).mode & 0o777, 0o640);
});

t.test('uploads: at most max_uploads templates; the one over is refused whole, a replacement is fine', async (t) => {
  const { store, uploads } = boundedStore(t);
  for (const name of ['a', 'b', 'c']) await store.set(name, `${name}\n`);
  t.equal(
    await message(store.set('d', 'd\n')),
    'no-space 3 uploaded templates, the limit (kickstart.max_uploads) is 3; free room with kickstart delete NAME',
  );
  t.same(readdirSync(uploads).sort(), ['a.cfg', 'b.cfg', 'c.cfg'], 'nothing written, no temp file left');
  t.equal(await message(store.set('b', 'b again\n')), 'ok', 'replacing does not add a template');
  t.equal(readFileSync(path.join(uploads, 'b.cfg'), 'utf8'), 'b again\n');
  t.match(await message(store.set('ks', 'x\n')), /^no-space 3 uploaded/, 'an upload shadowing a shipped template counts too');
  await store.delete('a');
  t.equal(await message(store.set('d', 'd\n')), 'ok', 'a delete makes room');
  t.same(readdirSync(uploads).sort(), ['b.cfg', 'c.cfg', 'd.cfg']);
});

t.test('uploads: at most max_upload_bytes in all, counting the new size of a replaced template', async (t) => {
  const { store, uploads } = boundedStore(t);
  await store.set('a', 'a'.repeat(1000));
  await store.set('b', 'b'.repeat(1000));
  t.equal(
    await message(store.set('c', 'c'.repeat(501))),
    'no-space template c (501 bytes) would make the uploads 2501 bytes, the limit (kickstart.max_upload_bytes) is 2500; free room with kickstart delete NAME',
  );
  t.equal(await message(store.set('c', 'c'.repeat(500))), 'ok', 'exactly the bound');
  t.equal(await message(store.set('a', 'A'.repeat(1000))), 'ok', 'a replacement of the same size fits');
  t.match(await message(store.set('b', 'B'.repeat(1001))), /^too-long template b is 1001 bytes; the limit \(kickstart\.max_template_bytes\) is 1000$/);
  t.equal(readFileSync(path.join(uploads, 'b.cfg'), 'utf8'), 'b'.repeat(1000), 'a refused replacement leaves the old template');
  await store.delete('c');
  t.equal(await message(store.set('b', 'B'.repeat(1000))), 'ok');
});

t.test('uploads: files left by an earlier run count; temp files a crash left are removed', async (t) => {
  const { store, uploads } = boundedStore(t);
  mkdirSync(uploads, { recursive: true });
  writeFileSync(path.join(uploads, 'old.cfg'), 'o'.repeat(1000));
  writeFileSync(path.join(uploads, 'notes.txt'), 'n'.repeat(1000));
  writeFileSync(path.join(uploads, '.old.999999999.tmp'), 't'.repeat(1000));
  t.match(await message(store.set('new', 'x'.repeat(501))), /^no-space template new \(501 bytes\) would make the uploads 2501 bytes/);
  t.notOk(readdirSync(uploads).includes('.old.999999999.tmp'), 'the stale temp file is gone');
  t.equal(await message(store.set('new', 'x'.repeat(500))), 'ok');
});

t.test('delete: uploaded templates only', async (t) => {
  const { store, k } = boundedStore(t);
  t.equal(await code(store.delete('fedora-40')), 'not-found', 'a shipped template is not deleted');
  t.ok(readdirSync(k.dir).includes('fedora-40.cfg'));
  t.equal(await code(store.delete('../x')), 'bad-argument');
  await store.set('job', 'x\n');
  await store.delete('job');
  t.equal(await code(store.read('job')), 'not-found');
  const noUploads = new KickstartStore({ dir: k.dir, logger: silentLogger });
  t.equal(await code(noUploads.delete('ks')), 'not-supported');
});
