import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../../agent/config';
import { fakeFiles } from './fixtures/fake-files';

const MAIN = '/etc/pikvm-agent/agent.yaml';
const DROP = '/etc/pikvm-agent/agent.d';

t.test('drop-ins merge over the main file in name order: mappings deep, lists replaced', async (t) => {
  const files = fakeFiles({
    [MAIN]: [
      'hid: {screen_width: 800, screen_height: 600}',
      'storage: {image_dirs: [/srv/a, /srv/b], luns: 2}',
      'kickstart: {vars: {arch: x86_64, lang: en_US}}',
    ].join('\n'),
    [`${DROP}/20-site.yaml`]: 'hid:\n  screen_width: 1280\nstorage:\n  image_dirs: [/srv/c]\nkickstart:\n  vars: {lang: de_DE}\n',
    [`${DROP}/10-pkg.yaml`]: 'hid:\n  screen_width: 1920\n  screen_height: 1080\n',
    [`${DROP}/9-late.yaml`]: 'hid: {screen_height: 900}\n', // '9' sorts after '2': name order, not numeric
    [`${DROP}/30-off.yaml.disabled`]: 'hid: {screen_width: 16}\n',
    [`${DROP}/.40-hidden.yaml`]: 'hid: {screen_width: 17}\n',
  });
  const config = await loadConfig({ explicit: false, env: {}, overrides: [], ...files });
  t.equal(config.hid.screen_width, 1280, '20-site wins over 10-pkg and the main file');
  t.equal(config.hid.screen_height, 900, '9-late comes last');
  t.strictSame(config.storage.image_dirs, ['/srv/c'], 'a list is replaced, not appended');
  t.equal(config.storage.luns, 2, 'keys a drop-in does not name keep the main file value');
  t.strictSame(config.kickstart.vars, { arch: 'x86_64', lang: 'de_DE' }, 'a mapping merges entry by entry');
  t.strictSame(files.reads, [MAIN, `${DROP}/10-pkg.yaml`, `${DROP}/20-site.yaml`, `${DROP}/9-late.yaml`]);
});

t.test('a missing default main file is fine and its drop-ins still apply', async (t) => {
  const files = fakeFiles({ [`${DROP}/10-pkg.yaml`]: 'video: {source: sim}\n' });
  const config = await loadConfig({ explicit: false, env: {}, overrides: [], ...files });
  t.equal(config.video.source, 'sim');
});

t.test('an empty or comment-only file sets nothing', async (t) => {
  const files = fakeFiles({ [MAIN]: '# nothing yet\n', [`${DROP}/10-empty.yaml`]: '', [`${DROP}/20-s.yaml`]: 'hid:\n' });
  const config = await loadConfig({ explicit: false, env: {}, overrides: [], ...files });
  t.equal(config.hid.screen_width, 1024);
});

t.test('drop-ins are found next to an explicit --config file', async (t) => {
  const files = fakeFiles({
    '/srv/lab/agent.yaml': 'log: {level: warn}\n',
    '/srv/lab/agent.d/10-x.yaml': 'log: {level: debug}\n',
    [MAIN]: 'log: {level: error}\n',
  });
  const config = await loadConfig({ configFile: '/srv/lab/agent.yaml', explicit: true, env: {}, overrides: [], ...files });
  t.equal(config.log.level, 'debug');
  t.notOk(files.reads.includes(MAIN), 'the default file is not read');
});

t.test('environment variables override files; values parse by schema type', async (t) => {
  const files = fakeFiles({ [MAIN]: 'hid: {screen_width: 800}\ncontrol: {socket: /srv/file.sock}\n' });
  const env = {
    PIKVM_AGENT_HID__SCREEN_WIDTH: '1280',
    PIKVM_AGENT_CONTROL__SOCKET: '/tmp/x.sock',
    PIKVM_AGENT_GADGET__VENDOR_ID: '0x1209',
    PIKVM_AGENT_HANDOFF__ENABLED: 'no',
    PIKVM_AGENT_VIDEO__SWAP_RB: 'YES',
    PIKVM_AGENT_STORAGE__IMAGE_DIRS: '/srv/one, /srv/two',
    PIKVM_AGENT_KICKSTART__VARS: 'arch=aarch64,mirror=http://m/x',
    PIKVM_AGENT_CONTROL__MODE: '0600',
    PIKVM_AGENT_RUN_DIR: '/tmp/run',
    PIKVM_AGENT_SOCKET: '/not/a/config/key', // used by the CLI clients
    PATH: '/usr/bin',
  };
  const config = await loadConfig({ explicit: false, env, overrides: [], ...files });
  t.equal(config.hid.screen_width, 1280);
  t.equal(config.control.socket, '/tmp/x.sock');
  t.equal(config.gadget.vendor_id, 0x1209);
  t.equal(config.handoff.enabled, false);
  t.equal(config.video.swap_rb, true);
  t.strictSame(config.storage.image_dirs, ['/srv/one', '/srv/two']);
  t.strictSame(config.kickstart.vars, { arch: 'aarch64', mirror: 'http://m/x' });
  t.equal(config.control.mode, 0o600);
  t.equal(config.run_dir, '/tmp/run');
  t.equal(config.http.unix_socket, '/tmp/run/http.sock');
});

t.test('command-line overrides win over the environment', async (t) => {
  const env = { PIKVM_AGENT_HID__SCREEN_WIDTH: '1280', PIKVM_AGENT_CONTROL__SOCKET: '/tmp/env.sock' };
  const overrides = [
    'hid.screen_width=0x400',
    '--control-socket=/tmp/flag.sock',
    'kickstart.vars.arch=x86_64',
    'kickstart.vars.empty=',
    'http.listen=',
    'video.source=ustreamer',
  ];
  const config = await loadConfig({ explicit: false, env, overrides, ...fakeFiles({}) });
  t.equal(config.hid.screen_width, 1024);
  t.equal(config.control.socket, '/tmp/flag.sock');
  t.strictSame(config.kickstart.vars, { arch: 'x86_64', empty: '' });
  t.equal(config.http.listen, '', "'' disables the TCP listener");
  t.equal(config.video.source, 'ustreamer');
});

t.test('YAML scalars keep the text as written', async (t) => {
  const files = fakeFiles({
    [MAIN]: [
      'control: {mode: 0640, group: kvmd}',
      'gadget: {serial: 0123, product_id: 0x0104, bcd_device: 256}',
      'storage: {inquiry_revision: 1.10}',
      'video: {swap_rb: yes}',
      'kickstart: {vars: {version: 1.10}, query_vars: arch}',
    ].join('\n'),
  });
  const config = await loadConfig({ explicit: false, env: {}, overrides: [], ...files });
  t.equal(config.control.mode, 0o640, 'a mode is octal even without 0o');
  t.equal(config.control.group, 'kvmd');
  t.equal(config.gadget.serial, '0123', 'leading zero kept');
  t.equal(config.gadget.product_id, 0x104);
  t.equal(config.gadget.bcd_device, 256, 'decimal ints');
  t.equal(config.storage.inquiry_revision, '1.10', 'not the number 1.1');
  t.equal(config.video.swap_rb, true);
  t.strictSame(config.kickstart.vars, { version: '1.10' });
  t.strictSame(config.kickstart.query_vars, [{ name: 'arch', pattern: '[A-Za-z0-9._:/@+-]+', max_length: 256 }], 'a single scalar is a one-element list');
});

t.test('reads real files and the drop-in directory from disk', async (t) => {
  const dir = t.testdir({});
  mkdirSync(join(dir, 'agent.d'));
  writeFileSync(join(dir, 'agent.yaml'), 'hid:\n  screen_width: 640\n');
  writeFileSync(join(dir, 'agent.d', '50-x.yaml'), 'hid:\n  screen_height: 480\n');
  const config = await loadConfig({ configFile: join(dir, 'agent.yaml'), explicit: true, env: {}, overrides: [] });
  t.equal(config.hid.screen_width, 640);
  t.equal(config.hid.screen_height, 480);
});
