import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { FetchLog } from '../../../agent/kickstart/fetch-log';
import { makeKsDir } from './fixtures/ks-dir';
import { get, kickstartApp, listenTcp } from './fixtures/http';

/** The kickstart router over the fixture template directory, listening on a TCP port; both go at teardown. */
async function servedOnTcp(t: Test) {
  const k = makeKsDir();
  t.teardown(k.cleanup);
  const s = kickstartApp(k.dir);
  const port = await listenTcp(s.server);
  t.teardown(() => s.server.close());
  return { s, port };
}

t.test('GET /ks.cfg renders the default template with config vars and request facts', async (t) => {
  const { s, port } = await servedOnTcp(t);
  const r = await get({ port }, '/ks.cfg');
  t.equal(r.status, 200);
  t.match(r.headers['content-type'], /^text\/plain; charset=utf-8/);
  t.equal(r.headers['cache-control'], 'no-store');
  t.equal(
    r.body,
    [
      'url --url=http://mirror.example/f40',
      'network --hostname=from-config',
      `# fetched by 127.0.0.1 from 127.0.0.1:${port}`,
      '%post',
      'echo "${HOSTNAME:-unset}" $(date)',
      '%end',
      '',
    ].join('\n'),
  );
  t.same(s.fetchLog.entries(), [
    { time: '2026-11-22T03:30:00.000Z', client: '127.0.0.1', template: 'ks', status: 200, bytes: Buffer.byteLength(r.body) },
  ]);
});

t.test('GET /ks/<name>.cfg and the query whitelist', async (t) => {
  const { port } = await servedOnTcp(t);
  t.equal((await get({ port }, '/ks/fedora-40.cfg')).body, 'lang en_US\nfedora from-config\n');
  t.equal((await get({ port }, '/ks/latest.cfg?hostname=sut-7')).body, 'lang en_US\nfedora sut-7\n', 'a whitelisted parameter overrides config');
  t.equal((await get({ port }, '/ks/fedora-40.cfg?mirror=evil&unknown=1')).body, 'lang en_US\nfedora from-config\n', 'others are ignored');
  const facts = await get({ port }, '/ks.cfg?client_addr=6.6.6.6');
  t.match(facts.body, /fetched by 127\.0\.0\.1 from/, 'request facts cannot be overridden, even when whitelisted');
  t.equal((await get({ port }, '/ks/needs-more.cfg?disk=sda&size=9')).status, 500, 'size is not whitelisted');

  for (const [query, why] of [
    ['hostname=a%0Anetwork%20--bootproto=dhcp', /^query parameter hostname contains a line break or control character \(U\+000A\)/],
    ['hostname=a%00', /hostname contains a line break or control character \(U\+0000\)/],
    [`hostname=${'x'.repeat(257)}`, /^query parameter hostname is longer than 256 characters/],
    ['hostname=a&hostname=b', /^query parameter hostname must be given once/],
  ] as const) {
    const r = await get({ port }, `/ks/fedora-40.cfg?${query}`);
    t.equal(r.status, 400, query.slice(0, 40));
    t.match(r.body, why);
  }
  t.equal((await get({ port }, `/ks/fedora-40.cfg?hostname=${'x'.repeat(256)}`)).status, 200, '256 characters are fine');
});

t.test('query values: only the characters of their pattern, never a line break pykickstart would split at', async (t) => {
  const { port } = await servedOnTcp(t);
  // Python's str.splitlines (pykickstart's line splitter) breaks at each of these.
  const breaks = ['%E2%80%A8', '%E2%80%A9', '%C2%85', '%0B', '%0C', '%1C', '%1D', '%1E', '%0D', '%0A'];
  for (const encoded of breaks) {
    const r = await get({ port }, `/ks/fedora-40.cfg?hostname=a%20%23${encoded}%25post`);
    t.equal(r.status, 400, `${encoded} is refused`);
    t.match(r.body, /^query parameter hostname contains a line break or control character \(U\+[0-9A-F]{4}\)\n$/);
  }
  for (const value of ['a%20b', 'a%23b', '%25post', 'a%22b', "a'b", 'a%60id%60', '%24(id)', 'a;b', 'a+b', 'caf%C3%A9', 'a%E2%80%8Bb', '']) {
    const r = await get({ port }, `/ks/fedora-40.cfg?hostname=${value}`);
    t.equal(r.status, 400, `${decodeURIComponent(value)} is outside the default pattern`);
    t.equal(r.body, 'query parameter hostname does not match its pattern [A-Za-z0-9._:/@+-]+\n');
  }
  for (const value of ['sut-7', 'sut-7.lab.example.org', 'http://mirror.example/os/x86_64/', 'root@10.0.0.1:22', 'fe80::1', 'a%2Bb_c']) {
    const r = await get({ port }, `/ks/fedora-40.cfg?hostname=${value}`);
    t.equal(r.body, `lang en_US\nfedora ${decodeURIComponent(value)}\n`, `${value} renders`);
  }
});

t.test('query values: a pattern and length per parameter; line breaks refused even when the pattern allows them', async (t) => {
  const k = makeKsDir();
  t.teardown(k.cleanup);
  const s = kickstartApp(k.dir, {
    queryVars: [
      { name: 'disk', pattern: 'sd[a-z]|nvme[0-9]n[0-9]', max_length: 7 },
      { name: 'hostname', pattern: '.*', max_length: 32 },
    ],
    vars: { size: '9', hostname: 'from-config' },
  });
  const port = await listenTcp(s.server);
  t.teardown(() => s.server.close());
  const needs = (query: string) => get({ port }, `/ks/needs-more.cfg?${query}`);
  t.equal((await needs('disk=sdb&hostname=h')).body, 'disk sdb h 9\n');
  t.equal((await needs('disk=nvme0n1')).body, 'disk nvme0n1 from-config 9\n');
  for (const [query, body] of [
    ['disk=sdb1', 'query parameter disk does not match its pattern sd[a-z]|nvme[0-9]n[0-9]\n'],
    ['disk=nvme10n1', 'query parameter disk is longer than 7 characters\n'],
    ['hostname=a%20%23%E2%80%A8%25post', 'query parameter hostname contains a line break or control character (U+2028)\n'],
    [`hostname=${'h'.repeat(33)}`, 'query parameter hostname is longer than 32 characters\n'],
  ] as const) {
    const r = await needs(query);
    t.equal(r.status, 400, query);
    t.equal(r.body, body);
  }
  t.equal((await get({ port }, '/ks/fedora-40.cfg?hostname=a%20b%20%23%20%25')).body, 'lang en_US\nfedora a b # %\n', 'the pattern .* allows what it says');
});

t.test('an undefined variable is a 500 naming it, logged as an error', async (t) => {
  const { s, port } = await servedOnTcp(t);
  const r = await get({ port }, '/ks/needs-more.cfg?disk=sda');
  t.equal(r.status, 500);
  t.equal(r.body, 'kickstart template "needs-more" cannot be rendered: undefined template variable: size\n');
  const rec = s.logger.records.find((x) => x.level === 'error');
  t.match(rec, { message: 'kickstart fetch failed', fields: { template: 'needs-more', status: 500, error: /undefined template variable: size/ } });
  const broken = await get({ port }, '/ks/broken.cfg');
  t.equal(broken.status, 500);
  t.match(broken.body, /cannot be rendered: template syntax error at line 1, column 3/);
});

t.test('no path traversal: encoded, dotted, symlinked out', async (t) => {
  const { s, port } = await servedOnTcp(t);
  // Every path tried, with the status it must get.
  const expected: Record<string, number> = {
    '/ks/../outside/secret.cfg': 404,
    '/ks/%2e%2e%2foutside%2fsecret.cfg': 404,
    '/ks/%2E%2E.cfg': 404,
    '/ks/..%2f..%2fetc%2fpasswd': 404,
    '/ks/.hidden.cfg': 404,
    '/ks/a.b.cfg': 404,
    '/ks/plain.txt': 404,
    '/ks/fedora-40': 404,
    '/ks/escape.cfg': 403,
    '/ks/relative-escape.cfg': 403,
    '/ks/subdir.cfg': 403,
    '/ks/absent.cfg': 404,
  };
  const statuses: Record<string, number> = {};
  for (const p of Object.keys(expected)) {
    const r = await get({ port }, p);
    statuses[p] = r.status;
    t.notMatch(r.body, /root password hash/, `${p} does not leak the file outside`);
  }
  t.same(statuses, expected);
  const logged = s.fetchLog.entries().map((e) => [e.template, e.status]);
  t.ok(logged.length >= 9, 'the refused fetches that reached the router are in the fetch log');
  t.ok(logged.some(([name, status]) => name === 'escape' && status === 403));
});

t.test('behind nginx (unix socket) the proxy headers give the facts; on TCP they are ignored', async (t) => {
  const k = makeKsDir();
  t.teardown(k.cleanup);
  const sockDir = mkdtempSync(path.join(os.tmpdir(), 'ks-sock-'));
  t.teardown(() => rmSync(sockDir, { recursive: true, force: true }));
  const socketPath = path.join(sockDir, 'http.sock');
  const s = kickstartApp(k.dir);
  await new Promise<void>((resolve) => s.server.listen(socketPath, resolve));
  t.teardown(() => s.server.close());
  const headers = { 'X-Real-IP': '::ffff:192.0.2.50', 'X-Server-Addr': '192.0.2.1', 'X-Server-Port': '443' };
  const r = await get({ socketPath }, '/ks.cfg', headers);
  t.match(r.body, /# fetched by 192\.0\.2\.50 from 192\.0\.2\.1:443\n/);
  const bad = await get({ socketPath }, '/ks.cfg', { 'X-Real-IP': 'a\tb', 'X-Server-Addr': '192.0.2.1', 'X-Server-Port': '443' });
  t.equal(bad.status, 500, 'a malformed header leaves client_addr undefined, which this template needs');
  t.match(bad.body, /undefined template variable: client_addr/);

  const tcp = kickstartApp(k.dir);
  const port = await listenTcp(tcp.server);
  t.teardown(() => tcp.server.close());
  const forged = await get({ port }, '/ks.cfg', headers);
  t.match(forged.body, new RegExp(`# fetched by 127\\.0\\.0\\.1 from 127\\.0\\.0\\.1:${port}\\n`));
});

t.test('the fetch log is bounded and keeps the newest', async (t) => {
  const log = new FetchLog(3);
  for (let i = 0; i < 5; i++) log.record({ time: `t${i}`, client: null, template: `n${i}`, status: 200 });
  t.same(log.entries().map((e) => e.template), ['n2', 'n3', 'n4']);
  const copy = log.entries();
  copy[0]!.template = 'changed';
  t.equal(log.entries()[0]!.template, 'n2', 'entries() returns copies');
});
