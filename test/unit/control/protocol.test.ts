import t from 'tap';
import { AgentError } from '../../../agent/errors';
import { bodyCommandName, parseCommand, unstuffBodyLine } from '../../../agent/control/protocol';

const codeOf = (line: string): string => {
  try {
    parseCommand(line);
    return 'parsed';
  } catch (e) {
    return e instanceof AgentError ? e.code : 'not-an-agent-error';
  }
};

t.test('os-autoinst lines', async (t) => {
  t.same(parseCommand('mouse_move 320 420'), { kind: 'mouse-move', x: 320, y: 420 });
  t.same(parseCommand('mouse_button 4'), { kind: 'mouse-button', mask: 4 });
  t.same(parseCommand('ctrl-alt-delete'), { kind: 'key', combo: 'ctrl-alt-delete' });
  for (const key of ['a', 'A', '!', '~', '/', 'spc', 'minus', 'ret', 'f12', 'super'])
    t.same(parseCommand(key), { kind: 'key', combo: key }, key);
});

t.test('screen: the connection\'s coordinate space', async (t) => {
  t.same(parseCommand('screen'), { kind: 'screen', size: null });
  t.same(parseCommand('screen 1920 1080'), { kind: 'screen', size: { width: 1920, height: 1080 } });
  t.same(parseCommand('screen 16 8192'), { kind: 'screen', size: { width: 16, height: 8192 } }, 'the bounds of hid.screen_width/height');
  t.same(parseCommand('mouse_move 65535 0'), { kind: 'mouse-move', x: 65535, y: 0 }, 'past any space: clamped later, not refused');
});

t.test('gadget-control lines keep the rest of the line verbatim', async (t) => {
  t.same(parseCommand('type Hello  World! '), { kind: 'type', text: 'Hello  World! ', enter: false });
  t.same(parseCommand('cmd ls -l'), { kind: 'type', text: 'ls -l', enter: true });
  t.same(parseCommand('type'), { kind: 'type', text: '', enter: false });
  t.same(parseCommand('type \ttab'), { kind: 'type', text: '\ttab', enter: false });
  t.same(parseCommand('reconnect'), { kind: 'reconnect' });
});

t.test('lease and kickstart commands', async (t) => {
  t.same(parseCommand('acquire'), { kind: 'acquire', holder: 'control' });
  t.same(parseCommand('acquire openqa:job-42'), { kind: 'acquire', holder: 'openqa:job-42' });
  t.same(parseCommand('release'), { kind: 'release' });
  t.same(parseCommand('release-keys'), { kind: 'release-keys' });
  t.same(parseCommand('kickstart list'), { kind: 'kickstart-list' });
  t.equal(codeOf('acquire a b'), 'bad-command');
  t.equal(codeOf('acquire a/b'), 'bad-argument');
  t.equal(codeOf('kickstart'), 'bad-command');
  t.same(parseCommand('kickstart delete job-42'), { kind: 'kickstart-delete', name: 'job-42' });
  t.equal(codeOf('kickstart delete'), 'bad-command');
  t.equal(codeOf('kickstart delete a b'), 'bad-command');
  t.same(parseCommand('video timings'), { kind: 'video-timings' });
  t.same(parseCommand('video query'), { kind: 'video-query' });
  t.same(parseCommand('video apply'), { kind: 'video-apply' });
  t.same(parseCommand('video edid /etc/pikvm-agent/edid/1024x768.hex'), { kind: 'video-edid', path: '/etc/pikvm-agent/edid/1024x768.hex' });
  t.same(parseCommand('video edid default'), { kind: 'video-edid', path: null });
  t.equal(codeOf('video'), 'bad-command');
  t.equal(codeOf('video edid'), 'bad-command');
  t.equal(bodyCommandName('kickstart set ks'), 'ks');
  t.equal(bodyCommandName('kickstart set'), null);
  t.equal(unstuffBodyLine('.'), null);
  t.equal(unstuffBodyLine('..x'), '.x');
  t.equal(unstuffBodyLine('x'), 'x');
});

t.test('storage commands', async (t) => {
  t.same(parseCommand('storage attach /var/lib/images/a.iso'), {
    kind: 'storage-attach', lun: 0, path: '/var/lib/images/a.iso', cdrom: false, readWrite: false,
  });
  t.same(parseCommand('storage attach --lun 1 --cdrom x.iso'), { kind: 'storage-attach', lun: 1, path: 'x.iso', cdrom: true, readWrite: false });
  t.same(parseCommand('storage attach --rw --lun 2 disk.img'), { kind: 'storage-attach', lun: 2, path: 'disk.img', cdrom: false, readWrite: true });
  t.same(parseCommand('storage eject'), { kind: 'storage-eject', lun: 0 });
  t.same(parseCommand('storage eject --lun 3'), { kind: 'storage-eject', lun: 3 });
  t.same(parseCommand('storage status'), { kind: 'storage-status' });
  t.equal(codeOf('storage attach'), 'bad-command');
  t.equal(codeOf('storage attach a b'), 'bad-command');
  t.equal(codeOf('storage attach --cdrom --rw a'), 'bad-argument');
  t.equal(codeOf('storage attach --lun x a'), 'bad-argument');
  t.equal(codeOf('storage attach --lun 99 a'), 'bad-argument');
  t.equal(codeOf('storage attach --force a'), 'bad-command');
  t.equal(codeOf('storage eject x'), 'bad-command');
  t.equal(codeOf('storage'), 'bad-command');
});

t.test('sim commands', async (t) => {
  t.same(parseCommand('sim text'), { kind: 'sim-text' });
  t.same(parseCommand('sim host offline'), { kind: 'sim-host', online: false });
  t.same(parseCommand('sim host online'), { kind: 'sim-host', online: true });
  t.same(parseCommand('sim power'), { kind: 'sim-power', on: null });
  t.same(parseCommand('sim power off'), { kind: 'sim-power', on: false });
  t.same(parseCommand('sim mode 1280 1024'), { kind: 'sim-mode', width: 1280, height: 1024 });
  t.same(parseCommand('sim sut'), { kind: 'sim-sut' });
  t.equal(codeOf('sim host'), 'bad-command');
  t.equal(codeOf('sim mode 10 10'), 'bad-argument');
  t.equal(codeOf('sim mode 1024'), 'bad-command');
  t.equal(codeOf('sim power maybe'), 'bad-command');
});

t.test('malformed lines get precise codes', async (t) => {
  const cases: Array<[string, string]> = [
    ['', 'bad-command'],
    ['mouse_move', 'bad-command'],
    ['mouse_move 1', 'bad-command'],
    ['mouse_move 1 2 3', 'bad-command'],
    ['mouse_move -1 2', 'bad-argument'],
    ['mouse_move 0x10 2', 'bad-argument'],
    ['mouse_move 1e3 2', 'bad-argument'],
    ['mouse_move 99999999999 2', 'bad-argument'],
    ['mouse_move 65536 2', 'bad-argument'],
    ['screen 15 768', 'bad-argument'],
    ['screen 1024 8193', 'bad-argument'],
    ['screen 1024x768', 'bad-command'],
    ['screen 1024', 'bad-command'],
    ['screen 1024 768 0', 'bad-command'],
    ['screen -1024 768', 'bad-argument'],
    ['mouse_move 1  2', 'bad-command'],
    ['mouse_button', 'bad-command'],
    ['mouse_button 32', 'bad-argument'],
    ['mouse_button left', 'bad-argument'],
    ['mouse_wheel 200', 'bad-argument'],
    ['status now', 'bad-command'],
    ['hello world', 'bad-command'],
    [' a', 'bad-command'],
    ['a\x00', 'bad-command'],
    ['a\x1b[A', 'bad-command'],
    ['a\rb', 'bad-command'],
  ];
  for (const [line, code] of cases) t.equal(codeOf(line), code, JSON.stringify(line));
});
