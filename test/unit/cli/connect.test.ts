/**
 * The clients' connect (agent/cli/client.ts `connectControl`): no daemon → fail on the first try,
 * naming the socket; a daemon too busy to accept (EAGAIN) → try again within the patience.
 */
import t from 'tap';
import net from 'node:net';
import { connectControl, type Dial } from '../../../agent/cli/client';

const errno = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

/** A dial that fails with the given codes in turn, then connects. */
function scripted(codes: string[]): { dial: Dial; calls: () => number } {
  let calls = 0;
  return {
    dial: async () => {
      const code = codes[calls++];
      if (code !== undefined) throw errno(code);
      return new net.Socket();
    },
    calls: () => calls,
  };
}

t.test('ENOENT and ECONNREFUSED fail on the first attempt with the path, its origin and a hint', async (t) => {
  for (const [code, hint] of [
    ['ENOENT', /: ENOENT \(no such socket: is the daemon running\? systemctl status pikvm-agent; the path comes from PIKVM_AGENT_SOCKET\)$/],
    ['ECONNREFUSED', /: ECONNREFUSED \(nothing listens there: is the daemon running\?/],
    ['EACCES', /: EACCES \(permission denied: the socket is for root and the group control\.group\)$/],
  ] as const) {
    const s = scripted([code, code, code]);
    await t.rejects(connectControl({ path: '/run/x/control.sock', origin: 'PIKVM_AGENT_SOCKET' }, 10_000, s.dial), {
      code: 'no-device',
      message: new RegExp(`^cannot connect to the agent's control socket /run/x/control\\.sock${hint.source}`),
    });
    t.equal(s.calls(), 1, `${code}: one attempt, no waiting`);
  }
});

t.test('EAGAIN (the listen backlog is full) is tried again until it connects', async (t) => {
  const s = scripted(['EAGAIN', 'EAGAIN']);
  const socket = await connectControl('/run/x/control.sock', 10_000, s.dial);
  t.ok(socket instanceof net.Socket);
  t.equal(s.calls(), 3);
});

t.test('EAGAIN past the patience is an error too', async (t) => {
  const s = scripted(['EAGAIN']);
  await t.rejects(connectControl('/run/x/control.sock', 0, s.dial), { message: /: EAGAIN$/ });
  t.equal(s.calls(), 1);
});
