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
  /** An explicit `--config` path (a missing explicit file is an error, a missing default is not). */
  configFile?: string;
  source: string;
  keyPath: string;
  detail: RegExp;
}

/** [what the case shows, YAML text, key path the error names, its detail]. */
type YamlRow = [name: string, yaml: string, keyPath: string, detail: RegExp];

const MAIN_FILE_ROWS: YamlRow[] = [
  ['integer above its range', 'gadget: {vendor_id: 0x10000}', 'gadget.vendor_id', /0\.\.65535, got "0x10000"/],
  ['misspelt key, with the nearest known key', 'hid:\n  screen_widht: 800\n', 'hid.screen_widht', /^unknown key \(did you mean hid\.screen_width\?\)$/],
  ['key in the wrong section, with where it belongs', 'screen_width: 800\n', 'screen_width', /did you mean hid\.screen_width\?/],
  ['unknown section', 'vidoe: {source: sim}\n', 'vidoe', /^unknown key \(did you mean video\?\)$/],
  ['unknown key without a near neighbour', 'hid: {colour_depth: 8}\n', 'hid.colour_depth', /^unknown key$/],
  ['a section given a scalar', 'hid: 1024\n', 'hid', /expected a mapping \(a section\), got "1024"/],
  ['a scalar key given a mapping', 'hid: {screen_width: {x: 1}}\n', 'hid.screen_width', /got a mapping/],
  ['a list element, located by index', 'storage: {image_dirs: [/srv/a, relative/b]}\n', 'storage.image_dirs[1]', /expected an absolute path, got "relative\/b"/],
  ['a map entry with a bad name', 'kickstart: {vars: {"my-var": x}}\n', 'kickstart.vars.my-var', /expected a name/],
  ['a query variable with a malformed pattern', 'kickstart:\n  query_vars:\n    - arch\n    - {name: disk, pattern: "sd[a-z"}\n', 'kickstart.query_vars[1].pattern', /expected a regular expression, got "sd\[a-z": /],
  ['a query variable pattern that would break out of its anchors', 'kickstart: {query_vars: [{name: disk, pattern: "a)|(b"}]}\n', 'kickstart.query_vars[0].pattern', /expected a regular expression, got "a\)\|\(b": /],
  ['a query variable with a key it does not have', 'kickstart: {query_vars: [{name: disk, max: 3}]}\n', 'kickstart.query_vars[0].max', /^unknown key \(known: name, pattern, max_length\)$/],
  ['a query variable without a name', 'kickstart: {query_vars: [{pattern: "[a-z]+"}]}\n', 'kickstart.query_vars[0].name', /^expected a name$/],
  ['a query variable listed twice', 'kickstart: {query_vars: [disk, {name: disk}]}\n', 'kickstart.query_vars[1]', /^disk is listed twice$/],
  ['a query variable length out of range', 'kickstart: {query_vars: [{name: disk, max_length: 0}]}\n', 'kickstart.query_vars[0].max_length', /an integer 1\.\.4096, got "0"/],
  ['a template bound over the uploads bound', 'kickstart: {max_template_bytes: 8192, max_upload_bytes: 4096}\n', 'kickstart.max_template_bytes', /must not exceed kickstart\.max_upload_bytes \(4096\), got 8192/],
  ['not one of the allowed words', 'log: {level: verbose}\n', 'log.level', /one of debug\|info\|warn\|error, got "verbose"/],
  ['SCSI INQUIRY vendor longer than 8', 'storage: {inquiry_vendor: LongVendor}\n', 'storage.inquiry_vendor', /at most 8 characters/],
  ['null where a string is expected', 'gadget: {serial: ~}\n', 'gadget.serial', /got null/],
  ['a top level that is not a mapping', '- a\n- b\n', '', /expected a mapping of sections, got a list/],
  ['YAML syntax error, with its line', 'hid:\n  screen_width: 800\nvideo: [v4l2\nlog: {level: info}\n', '', /^line 4, column \d+: YAML syntax error: /],
];

const DROP_IN_ROWS: YamlRow[] = [
  ['out-of-range integer in a drop-in', 'hid:\n  screen_width: big\n', 'hid.screen_width', /^expected an integer 16\.\.8192, got "big"$/],
  ['duplicate key, with its line', 'hid:\n  screen_width: 800\n  screen_width: 900\n', '', /^line 3, column \d+: YAML syntax error: Map keys must be unique/],
];

/** [what the case shows, variable, value, key path, detail]; the variable is the source named. */
const ENV_ROWS: [name: string, variable: string, value: string, keyPath: string, detail: RegExp][] = [
  ['bad environment value', 'PIKVM_AGENT_HID__SCREEN_WIDTH', '12O0', 'hid.screen_width', /got "12O0"/],
  ['bad environment boolean', 'PIKVM_AGENT_HANDOFF__ENABLED', 'enabled', 'handoff.enabled', /expected a boolean/],
  ['unknown environment variable', 'PIKVM_AGENT_HID__SCREEN_WIDHT', '800', 'hid.screen_widht', /unknown key \(did you mean hid\.screen_width\?\)/],
  ['environment variable naming a section', 'PIKVM_AGENT_HID', '800', 'hid', /is a section/],
  ['environment variable with an empty level', 'PIKVM_AGENT_HID____SCREEN_WIDTH', '800', '', /double underscore/],
];

/** [what the case shows, command-line argument, source named, key path, detail]. */
const OVERRIDE_ROWS: [name: string, argument: string, source: string, keyPath: string, detail: RegExp][] = [
  ['bad key.path=value override', 'control.mode=999', 'command line', 'control.mode', /octal file mode/],
  ['override of an unknown key', 'gadget.vendorid=1', 'command line', 'gadget.vendorid', /did you mean gadget\.vendor_id\?/],
  ['override without =', 'hid.screen_width', 'command line', '', /expected key\.path=value/],
  ['named flag with a bad value', '--control-socket=relative.sock', '--control-socket', 'control.socket', /expected an absolute path/],
  ['unknown named flag', '--colour=red', '--colour', '', /unknown option/],
  ['two listeners on one socket', 'http.unix_socket=/run/pikvm-agent/control.sock', 'command line', 'http.unix_socket', /must differ from control\.socket/],
];

const CASES: Case[] = [
  ...MAIN_FILE_ROWS.map(([name, yaml, keyPath, detail]) => ({ name, files: { [MAIN]: yaml }, source: MAIN, keyPath, detail })),
  ...DROP_IN_ROWS.map(([name, yaml, keyPath, detail]) => ({ name, files: { [LAB]: yaml }, source: LAB, keyPath, detail })),
  ...ENV_ROWS.map(([name, variable, value, keyPath, detail]) => ({ name, env: { [variable]: value }, source: variable, keyPath, detail })),
  ...OVERRIDE_ROWS.map(([name, argument, source, keyPath, detail]) => ({ name, overrides: [argument], source, keyPath, detail })),
  {
    name: 'rule across keys, blamed on the source that set it',
    files: { [MAIN]: 'video: {max_fps: 10}\n', [LAB]: 'video: {default_fps: 15}\n' },
    source: LAB,
    keyPath: 'video.default_fps',
    detail: /must not exceed video\.max_fps \(10\), got 15/,
  },
  {
    name: 'explicit --config file that does not exist',
    configFile: '/srv/missing.yaml',
    source: '/srv/missing.yaml',
    keyPath: '',
    detail: /^cannot read: file not found$/,
  },
];

for (const c of CASES) {
  t.test(c.name, async (t) => {
    const error = await loadConfig({
      ...(c.configFile === undefined ? {} : { configFile: c.configFile }),
      explicit: c.configFile !== undefined,
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
