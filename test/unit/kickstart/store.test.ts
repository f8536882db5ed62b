import { lstatSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { AgentError, isAgentError } from '../../../agent/errors';
import { silentLogger } from '../../../agent/log';
import { KickstartStore, MAX_TEMPLATE_BYTES } from '../../../agent/kickstart/store';
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
