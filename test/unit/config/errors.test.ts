import t from 'tap';
import { ConfigError, loadConfig } from '../../../agent/config';
import { fakeFiles } from './fixtures/fake-files';

const MAIN = '/etc/pikvm-agent/agent.yaml';
const LAB = '/etc/pikvm-agent/agent.d/10-lab.yaml';

interface Case {
  name: string;
  files?: Record<string, string>;
  env?: Record<string, string>;
  overrides?: string[];
  source: string;
  keyPath: string;
  detail: RegExp;
}

const CASES: Case[] = [
  {
    name: 'out-of-range integer in a drop-in',
    files: { [LAB]: 'hid:\n  screen_width: big\n' },
    source: LAB,
    keyPath: 'hid.screen_width',
    detail: /^expected an integer 16\.\.8192, got "big"$/,
  },
  {
    name: 'integer above its range',
    files: { [MAIN]: 'gadget: {vendor_id: 0x10000}' },
    source: MAIN,
    keyPath: 'gadget.vendor_id',
    detail: /0\.\.65535, got "0x10000"/,
  },
  {
    name: 'misspelt key, with the nearest known key',
    files: { [MAIN]: 'hid:\n  screen_widht: 800\n' },
    source: MAIN,
    keyPath: 'hid.screen_widht',
    detail: /^unknown key \(did you mean hid\.screen_width\?\)$/,
  },
  {
    name: 'key in the wrong section, with where it belongs',
    files: { [MAIN]: 'screen_width: 800\n' },
    source: MAIN,
    keyPath: 'screen_width',
    detail: /did you mean hid\.screen_width\?/,
  },
  {
    name: 'unknown section',
    files: { [MAIN]: 'vidoe: {source: sim}\n' },
    source: MAIN,
    keyPath: 'vidoe',
    detail: /^unknown key \(did you mean video\?\)$/,
  },
  {
    name: 'unknown key without a near neighbour',
    files: { [MAIN]: 'hid: {colour_depth: 8}\n' },
    source: MAIN,
    keyPath: 'hid.colour_depth',
    detail: /^unknown key$/,
  },
  {
    name: 'a section given a scalar',
    files: { [MAIN]: 'hid: 1024\n' },
    source: MAIN,
    keyPath: 'hid',
    detail: /expected a mapping \(a section\), got "1024"/,
  },
  {
    name: 'a scalar key given a mapping',
    files: { [MAIN]: 'hid: {screen_width: {x: 1}}\n' },
    source: MAIN,
    keyPath: 'hid.screen_width',
    detail: /got a mapping/,
  },
  {
    name: 'a list element, located by index',
    files: { [MAIN]: 'storage: {image_dirs: [/srv/a, relative/b]}\n' },
    source: MAIN,
    keyPath: 'storage.image_dirs[1]',
    detail: /expected an absolute path, got "relative\/b"/,
  },
  {
    name: 'a map entry with a bad name',
    files: { [MAIN]: 'kickstart: {vars: {"my-var": x}}\n' },
    source: MAIN,
    keyPath: 'kickstart.vars.my-var',
    detail: /expected a name/,
  },
  {
    name: 'not one of the allowed words',
    files: { [MAIN]: 'log: {level: verbose}\n' },
    source: MAIN,
    keyPath: 'log.level',
    detail: /one of debug\|info\|warn\|error, got "verbose"/,
  },
  {
    name: 'SCSI INQUIRY vendor longer than 8',
    files: { [MAIN]: 'storage: {inquiry_vendor: LongVendor}\n' },
    source: MAIN,
    keyPath: 'storage.inquiry_vendor',
    detail: /at most 8 characters/,
  },
  {
    name: 'null where a string is expected',
    files: { [MAIN]: 'gadget: {serial: ~}\n' },
    source: MAIN,
    keyPath: 'gadget.serial',
    detail: /got null/,
  },
  {
    name: 'a top level that is not a mapping',
    files: { [MAIN]: '- a\n- b\n' },
    source: MAIN,
    keyPath: '',
    detail: /expected a mapping of sections, got a list/,
  },
  {
    name: 'YAML syntax error, with its line',
    files: { [MAIN]: 'hid:\n  screen_width: 800\nvideo: [v4l2\nlog: {level: info}\n' },
    source: MAIN,
    keyPath: '',
    detail: /^line 4, column \d+: YAML syntax error: /,
  },
  {
    name: 'duplicate key, with its line',
    files: { [LAB]: 'hid:\n  screen_width: 800\n  screen_width: 900\n' },
    source: LAB,
    keyPath: '',
    detail: /^line 3, column \d+: YAML syntax error: Map keys must be unique/,
  },
  {
    name: 'bad environment value',
    env: { PIKVM_AGENT_HID__SCREEN_WIDTH: '12O0' },
    source: 'PIKVM_AGENT_HID__SCREEN_WIDTH',
    keyPath: 'hid.screen_width',
    detail: /got "12O0"/,
  },
  {
    name: 'bad environment boolean',
    env: { PIKVM_AGENT_HANDOFF__ENABLED: 'enabled' },
    source: 'PIKVM_AGENT_HANDOFF__ENABLED',
    keyPath: 'handoff.enabled',
    detail: /expected a boolean/,
  },
  {
    name: 'unknown environment variable',
    env: { PIKVM_AGENT_HID__SCREEN_WIDHT: '800' },
    source: 'PIKVM_AGENT_HID__SCREEN_WIDHT',
    keyPath: 'hid.screen_widht',
    detail: /unknown key \(did you mean hid\.screen_width\?\)/,
  },
  {
    name: 'environment variable naming a section',
    env: { PIKVM_AGENT_HID: '800' },
    source: 'PIKVM_AGENT_HID',
    keyPath: 'hid',
    detail: /is a section/,
  },
  {
    name: 'environment variable with an empty level',
    env: { PIKVM_AGENT_HID____SCREEN_WIDTH: '800' },
    source: 'PIKVM_AGENT_HID____SCREEN_WIDTH',
    keyPath: '',
    detail: /double underscore/,
  },
  {
    name: 'bad key.path=value override',
    overrides: ['control.mode=999'],
    source: 'command line',
    keyPath: 'control.mode',
    detail: /octal file mode/,
  },
  {
    name: 'override of an unknown key',
    overrides: ['gadget.vendorid=1'],
    source: 'command line',
    keyPath: 'gadget.vendorid',
    detail: /did you mean gadget\.vendor_id\?/,
  },
  {
    name: 'override without =',
    overrides: ['hid.screen_width'],
    source: 'command line',
    keyPath: '',
    detail: /expected key\.path=value/,
  },
  {
    name: 'named flag with a bad value',
    overrides: ['--control-socket=relative.sock'],
    source: '--control-socket',
    keyPath: 'control.socket',
    detail: /expected an absolute path/,
  },
  {
    name: 'unknown named flag',
    overrides: ['--colour=red'],
    source: '--colour',
    keyPath: '',
    detail: /unknown option/,
  },
  {
    name: 'rule across keys, blamed on the source that set it',
    files: { [MAIN]: 'video: {max_fps: 10}\n', [LAB]: 'video: {default_fps: 15}\n' },
    source: LAB,
    keyPath: 'video.default_fps',
    detail: /must not exceed video\.max_fps \(10\), got 15/,
  },
  {
    name: 'two listeners on one socket',
    overrides: ['http.unix_socket=/run/pikvm-agent/control.sock'],
    source: 'command line',
    keyPath: 'http.unix_socket',
    detail: /must differ from control\.socket/,
  },
  {
    name: 'explicit --config file that does not exist',
    source: '/srv/missing.yaml',
    keyPath: '',
    detail: /^cannot read: file not found$/,
  },
];

for (const c of CASES) {
  t.test(c.name, async (t) => {
    const explicit = c.name.startsWith('explicit');
    const error = await loadConfig({
      ...(explicit ? { configFile: '/srv/missing.yaml' } : {}),
      explicit,
      env: c.env ?? {},
      overrides: c.overrides ?? [],
      ...fakeFiles(c.files ?? {}),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.type(error, ConfigError);
    const e = error as ConfigError;
    t.equal(e.source, c.source, 'names the source');
    t.equal(e.keyPath, c.keyPath, 'names the key path');
    t.match(e.detail, c.detail);
    t.equal(e.message, c.keyPath === '' ? `${c.source}: ${e.detail}` : `${c.source}: ${c.keyPath}: ${e.detail}`);
  });
}

t.test('an unreadable main file is an error even when not explicit', async (t) => {
  const files = fakeFiles({});
  const readFile = async (path: string) => {
    throw Object.assign(new Error('denied'), { code: 'EACCES', path });
  };
  await t.rejects(loadConfig({ explicit: false, env: {}, overrides: [], listDir: files.listDir, readFile }), {
    name: 'ConfigError',
    source: MAIN,
    message: `${MAIN}: cannot read: permission denied`,
  });
});
