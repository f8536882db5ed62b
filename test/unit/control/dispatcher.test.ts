import t from 'tap';
import { AgentError } from '../../../agent/errors';
import { Dispatcher, type InputPort } from '../../../agent/control/dispatcher';
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
    async pointerMove(x, y) { calls.push(`move ${x} ${y}`); },
    async pointerButtons(mask) { calls.push(`buttons ${mask}`); },
    async wheel(d) { calls.push(`wheel ${d}`); },
    async releaseAll() { calls.push('release'); },
  };
  return { input, calls };
}

function dispatcher(input: InputPort, sim = false) {
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
    logger: silentLogger,
  });
}

t.test('replies: ok, ok JSON, error code message', async (t) => {
  const { input } = recordingInput();
  const d = dispatcher(input, true);
  await expectReplies(t, (line) => d.handleLine(line), [
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
  t.match(await dispatcher(input).handleLine('sim text'), /^error: not-supported /);
});

t.test('a failing input command ends with an all-release', async (t) => {
  const { input, calls } = recordingInput('ctrl-c');
  const d = dispatcher(input);
  t.equal(await d.handleLine('ctrl-c'), 'error: host-offline the USB host is not reading');
  t.same(calls, ['key ctrl-c', 'release']);
});

t.test('cmd types then presses Enter, atomically with respect to other callers', async (t) => {
  const { input, calls } = recordingInput();
  const d = dispatcher(input);
  const replies = await Promise.all([d.handleLine('cmd ab'), d.handleLine('x'), d.handleLine('type cd')]);
  t.same(replies, ['ok', 'ok', 'ok']);
  t.same(calls, ['char a', 'char b', 'key ret', 'key x', 'char c', 'char d']);
});
