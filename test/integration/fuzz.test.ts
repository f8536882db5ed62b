/**
 * Protocol fuzz over the real socket against the whole simulated agent: random, binary, overlong
 * and malformed lines mixed with valid ones. Every line gets exactly one well-formed reply, valid
 * lines get `ok`, the daemon stays up, and no key is left down on the virtual host.
 */
import t from 'tap';
import { exchange } from '../helpers/socket-client';
import { startSimAgent } from '../helpers/sim-agent';

const LINES = 12_000;
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);

/** mulberry32: a small deterministic PRNG so a failure can be replayed with FUZZ_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID = [
  'a', 'A', '!', '~', 'spc', 'ret', 'minus', 'ctrl-alt-delete', 'shift-tab', 'alt-f4', 'super', 'f12', 'ctrl-x',
  'mouse_move 0 0', 'mouse_move 1023 767', 'mouse_move 512 384', 'mouse_button 0', 'mouse_button 1', 'mouse_button 4',
  'type hello world', 'cmd echo ok', 'ping', 'status', 'sim text', 'sim pointer', 'storage status', 'screen 1920 1080', 'screen',
];
const WORDS = ['mouse_move', 'mouse_button', 'screen', 'type', 'cmd', 'storage', 'attach', 'eject', '--lun', 'sim', 'ctrl', 'alt-', '-', '--', 'reconnect', 'status', '0', '-1', '99999', 'NaN', '/etc/shadow', '../..', ' '];

function randomLine(rnd: () => number): { bytes: Buffer; valid: boolean } {
  const kind = rnd();
  const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!;
  if (kind < 0.3) return { bytes: Buffer.from(pick(VALID)), valid: true };
  if (kind < 0.5) {
    // random binary, no LF (the line separator)
    const len = Math.floor(rnd() * 64);
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = Math.floor(rnd() * 256) === 0x0a ? 0x00 : Math.floor(rnd() * 256);
    for (let i = 0; i < len; i++) if (b[i] === 0x0a) b[i] = 0x0b;
    return { bytes: b, valid: false };
  }
  if (kind < 0.7) {
    const n = 1 + Math.floor(rnd() * 5);
    return { bytes: Buffer.from(Array.from({ length: n }, () => pick(WORDS)).join(rnd() < 0.8 ? ' ' : '')), valid: false };
  }
  if (kind < 0.8) return { bytes: Buffer.alloc(4097 + Math.floor(rnd() * 20_000), 0x61), valid: false };
  if (kind < 0.9) {
    const keys = ['ctrl', 'alt', 'shift', 'a', 'zz', 'f99', 'super', 'altgr', '', 'ret'];
    return { bytes: Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => pick(keys)).join('-')), valid: false };
  }
  const s = Array.from({ length: Math.floor(rnd() * 30) }, () => String.fromCharCode(Math.floor(rnd() * 0x3000))).join('').replace(/\n/g, '');
  return { bytes: Buffer.from(`type ${s}`), valid: false };
}

t.test(`${LINES} fuzz lines, seed ${SEED}`, async (t) => {
  const { socketPath, agent } = await startSimAgent(t);
  const rnd = prng(SEED);
  const lines = Array.from({ length: LINES }, () => randomLine(rnd));
  const payload = Buffer.concat(lines.flatMap((l) => [l.bytes, Buffer.from(rnd() < 0.5 ? '\n' : '\r\n')]));

  // Send it in two halves over two concurrent connections; the split is after the half-th LF.
  const half = Math.floor(lines.length / 2);
  let offset = 0;
  let seen = 0;
  for (let i = 0; i < payload.length && seen < half; i++) {
    if (payload[i] === 0x0a) {
      seen++;
      offset = i + 1;
    }
  }
  const [first, second] = await Promise.all([exchange(socketPath, payload.subarray(0, offset)), exchange(socketPath, payload.subarray(offset))]);
  const replies = [...first, ...second];

  t.equal(replies.length, lines.length, 'exactly one reply per line');
  const malformed = replies.filter((r) => !/^(ok( .+)?|error: [a-z-]+ .+)$/.test(r));
  t.same(malformed.slice(0, 5), [], 'every reply is well-formed');
  const validFailures = lines
    .map((l, i) => ({ line: l.bytes.toString(), valid: l.valid, reply: replies[i]! }))
    .filter((x) => x.valid && !x.reply.startsWith('ok'));
  t.same(validFailures.slice(0, 5), [], 'valid lines are answered ok');
  t.ok(replies.some((r) => r.startsWith('error: too-long')), 'overlong lines were exercised');
  t.ok(replies.some((r) => r.startsWith('error: bad-command')), 'malformed lines were exercised');
  t.ok(replies.some((r) => r.startsWith('error: unknown-key')), 'unknown keys were exercised');

  // The daemon is alive and nothing is held on the host side.
  t.same(await exchange(socketPath, 'mouse_button 0\nping\n'), ['ok', 'ok']);
  t.same(agent.sim!.host.pressedKeys(), [], 'no key left down');
  t.equal(agent.sim!.host.pointer().buttons, 0);
});
