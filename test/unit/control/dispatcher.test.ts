import t from 'tap';
import { AgentError } from '../../../agent/errors';
import { Dispatcher, type InputPort } from '../../../agent/control/dispatcher';
import { ControlSessions } from '../../../agent/control/sessions';
import { silentLogger } from '../../../agent/log';
import { expectReplies } from '../../fixtures/replies';

function recordingInput(failOn?: string) {
  const calls: string[] = [];
  const delay = () => new Promise((r) => setTimeout(r, 1));
  const input: InputPort = {
    async key(combo) {
      calls.push(`key ${combo}`);
      await delay();
      if (combo === failOn) throw new AgentError('host-offline', 'the USB host is not reading');
      if (combo === 'nokey') throw new AgentError('unknown-key', 'unknown key "nokey"');
    },
    async typeText(text) {
      for (const ch of text) {
        calls.push(`char ${ch}`);
        await delay();
      }
    },
    async pointerMove(x, y, space) { calls.push(`move ${x} ${y} in ${space.width}x${space.height}`); },
    async pointerButtons(mask) { calls.push(`buttons ${mask}`); },
    async wheel(d) { calls.push(`wheel ${d}`); },
    async releaseAll() { calls.push('release'); },
  };
  return { input, calls };
}

function dispatcher(input: InputPort, sim = false, sessions = new ControlSessions({ width: 1024, height: 768 })) {
  return new Dispatcher({
    input,
    gadget: { reconnect: async () => undefined },
    storage: {
      attach: async () => { throw new AgentError('forbidden', '/etc/shadow is outside the image directories'); },
      eject: async () => undefined,
      status: async () => [{ lun: 0, file: null }],
    },
    status: async () => ({ state: 'fine' }),
    sim: sim ? { text: () => 'hi\n', pointer: () => ({ x: 1, y: 2, buttons: 0 }), events: () => [], clear: () => undefined, setHostOnline: () => undefined,
      power: (on) => on ?? true, setMode: () => undefined, sut: () => ({ powered: true }) } : undefined,
    sessions,
    logger: silentLogger,
  });
}

t.test('replies: ok, ok JSON, error code message', async (t) => {
  const { input } = recordingInput();
  const d = dispatcher(input, true);
  const session = d.attachClient();
  await expectReplies(t, (line) => d.handleLine(line, session), [
    ['a', 'ok'],
    ['status', 'ok {"state":"fine"}'],
    ['sim text', 'ok "hi\\n"'],
    ['storage status', 'ok [{"lun":0,"file":null}]'],
    ['storage attach /etc/shadow', 'error: forbidden /etc/shadow is outside the image directories'],
    ['mouse_move x 1', 'error: bad-argument X must be a non-negative integer, got "x"'],
    ['nokey', 'error: unknown-key unknown key "nokey"'],
  ]);
});

t.test('sim commands without a simulator are refused, not crashed', async (t) => {
  const { input } = recordingInput();
  const d = dispatcher(input);
  t.match(await d.handleLine('sim text', d.attachClient()), /^error: not-supported /);
});

t.test('a failing input command ends with an all-release', async (t) => {
  const { input, calls } = recordingInput('ctrl-c');
  const d = dispatcher(input);
  t.equal(await d.handleLine('ctrl-c', d.attachClient()), 'error: host-offline the USB host is not reading');
  t.same(calls, ['key ctrl-c', 'release']);
});

t.test('cmd types then presses Enter, atomically with respect to other callers', async (t) => {
  const { input, calls } = recordingInput();
  const d = dispatcher(input);
  const session = d.attachClient();
  const replies = await Promise.all([d.handleLine('cmd ab', session), d.handleLine('x', session), d.handleLine('type cd', session)]);
  t.same(replies, ['ok', 'ok', 'ok']);
  t.same(calls, ['char a', 'char b', 'key ret', 'key x', 'char c', 'char d']);
});

t.test('mouse_move is in the session\'s space; screen sets it for that session only; sessions are listed until closed', async (t) => {
  const { input, calls } = recordingInput();
  const sessions = new ControlSessions({ width: 1280, height: 1024 });
  const d = dispatcher(input, false, sessions);
  const job = d.attachClient();
  const person = d.attachClient();
  t.equal(await d.handleLine('screen 800 600', job), 'ok');
  t.equal(await d.handleLine('mouse_move 799 599', job), 'ok');
  t.equal(await d.handleLine('mouse_move 799 599', person), 'ok');
  t.same(calls, ['move 799 599 in 800x600', 'move 799 599 in 1280x1024']);
  t.equal(await d.handleLine('screen', person), 'ok {"width":1280,"height":1024}');
  t.equal(await d.handleLine('screen 8 8', job), 'error: bad-argument a coordinate space is at least 16x16, got 8x8');
  t.equal(await d.handleLine('screen', job), 'ok {"width":800,"height":600}', 'a refused screen changes nothing');
  t.same(sessions.spaces(), [{ width: 800, height: 600 }, { width: 1280, height: 1024 }]);
  job.close();
  job.close();
  t.same(sessions.spaces(), [{ width: 1280, height: 1024 }], 'a closed connection is forgotten (close is idempotent)');
  t.same(sessions.initialSpace(), { width: 1280, height: 1024 });
});

t.test('queries do not wait behind input in progress; input keeps its arrival order', async (t) => {
  const calls: string[] = [];
  let releaseKey!: () => void;
  const keyHeld = new Promise<void>((r) => (releaseKey = r));
  const { input } = recordingInput();
  input.key = async (combo) => {
    calls.push(`key ${combo} start`);
    if (combo === 'a') await keyHeld;
    calls.push(`key ${combo} end`);
  };
  const d = dispatcher(input, true);
  const typing = d.attachClient();
  const asking = d.attachClient();
  const first = d.handleLine('a', typing);
  const second = d.handleLine('b', asking);
  // While `a` is still being sent, another client's queries answer at once.
  t.equal(await d.handleLine('status', asking), 'ok {"state":"fine"}');
  t.equal(await d.handleLine('sim text', asking), 'ok "hi\\n"');
  t.equal(await d.handleLine('ping', asking), 'ok');
  t.same(calls, ['key a start'], 'b has not started: input waits its turn');
  releaseKey();
  t.equal(await first, 'ok');
  t.equal(await second, 'ok');
  t.same(calls, ['key a start', 'key a end', 'key b start', 'key b end']);
});
