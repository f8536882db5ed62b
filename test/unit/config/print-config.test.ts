import t from 'tap';
import { parse } from 'yaml';
import { AgentConfig, formatConfig, loadConfig } from '../../../agent/config';
import { fakeFiles } from './fixtures/fake-files';

const MAIN = '/etc/pikvm-agent/agent.yaml';

async function reload(text: string): Promise<AgentConfig> {
  return loadConfig({ explicit: true, configFile: MAIN, env: {}, overrides: [], ...fakeFiles({ [MAIN]: text }) });
}

t.test('formatting the defaults and loading the text gives the same configuration', async (t) => {
  const defaults = await loadConfig({ explicit: false, env: {}, overrides: [], ...fakeFiles({}) });
  const text = formatConfig(defaults);
  t.strictSame(await reload(text), defaults);
});

t.test('round trip of values that YAML would otherwise retype', async (t) => {
  const overrides = [
    'log.level=debug',
    'run_dir=/tmp/agent run',
    'control.mode=0600',
    'control.group=kvmd',
    'gadget.serial=0123',
    'gadget.product=true',
    'gadget.manufacturer=null',
    'gadget.vendor_id=0x1209',
    'gadget.product_id=7',
    'gadget.udc=fe980000.usb',
    'storage.inquiry_revision=1.10',
    'storage.inquiry_product=# not a comment',
    'storage.image_dirs=/srv/a,/srv/b: c',
    'http.listen=[::1]:8080',
    'http.unix_socket=',
    'video.swap_rb=yes',
    'video.source=sim',
    'kickstart.vars.version=08',
    'kickstart.vars.quote=say "hi", it\'s: {fine}',
    'kickstart.vars.empty=',
    'kickstart.query_vars=arch,lang',
  ];
  const config = await loadConfig({ explicit: false, env: {}, overrides, ...fakeFiles({}) });
  t.equal(config.gadget.manufacturer, 'null', 'the text null stays a string');
  t.strictSame(config.storage.image_dirs, ['/srv/a', '/srv/b: c']);
  const text = formatConfig(config);
  t.strictSame(await reload(text), config);

  // Other YAML readers see the same numbers: modes print in 0o octal, USB IDs in 0x hex.
  const plain = parse(text);
  t.equal(plain.control.mode, 0o600);
  t.equal(plain.gadget.vendor_id, 0x1209);
  t.equal(plain.storage.inquiry_revision, '1.10');
  t.equal(plain.kickstart.vars.version, '08');
});

t.test('kickstart.query_vars: names and mappings, printed in full and read back the same', async (t) => {
  const yaml = [
    'kickstart:',
    '  query_vars:',
    '    - hostname',
    '    - name: disk',
    '      pattern: "sd[a-z]|nvme\\\\d+n\\\\d+"',
    '      max_length: 12',
    "    - { name: label, pattern: '[^#%\\s''\"]*' }",
    '',
  ].join('\n');
  const config = await reload(yaml);
  t.strictSame(config.kickstart.query_vars, [
    { name: 'hostname', pattern: '[A-Za-z0-9._:/@+-]+', max_length: 256 },
    { name: 'disk', pattern: 'sd[a-z]|nvme\\d+n\\d+', max_length: 12 },
    { name: 'label', pattern: '[^#%\\s\'"]*', max_length: 256 },
  ]);
  t.strictSame(await reload(formatConfig(config)), config);
});

t.test('the output lists every section in schema order', async (t) => {
  const config = await loadConfig({ explicit: false, env: {}, overrides: [], ...fakeFiles({}) });
  const sections = formatConfig(config)
    .split('\n')
    .filter((line) => /^[a-z_]+:/.test(line))
    .map((line) => line.slice(0, line.indexOf(':')));
  t.strictSame(sections, ['log', 'run_dir', 'control', 'gadget', 'hid', 'storage', 'http', 'video', 'handoff', 'kickstart']);
});

t.test('the access token is never printed, only that one is set', async (t) => {
  const config = await loadConfig({ explicit: false, env: {}, overrides: ['http.token=s3cret-Token'], ...fakeFiles({}) });
  const text = formatConfig(config);
  t.notMatch(text, /s3cret-Token/);
  t.match(text, /token: \(set\)/);
  const unset = await loadConfig({ explicit: false, env: {}, overrides: [], ...fakeFiles({}) });
  t.match(formatConfig(unset), /token: ""/);
});
