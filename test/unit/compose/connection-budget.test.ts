import t from 'tap';
import { AGENT_RESERVED_FDS, connectionCap, FDS_PER_CONNECTION } from '../../../agent/compose/connection-budget';

t.test('the listeners share what is left after the descriptors in use and the reserve', async (t) => {
  const cap = connectionCap(4096, 30, 3)!;
  t.equal(cap, Math.floor((4096 - 30 - 3 - AGENT_RESERVED_FDS) / (3 * FDS_PER_CONNECTION)));
  t.ok(30 + 3 + AGENT_RESERVED_FDS + 3 * cap * FDS_PER_CONNECTION <= 4096, 'full listeners still leave the reserve');
  t.equal(connectionCap(null, 30, 3), undefined, 'no limit, no cap');
});

t.test('a limit too low for one client per listener is refused, naming what to raise', async (t) => {
  t.equal(connectionCap(30 + 2 + AGENT_RESERVED_FDS + 2 * FDS_PER_CONNECTION, 30, 2), 1);
  t.throws(() => connectionCap(99, 30, 2), { code: 'io', message: /open file limit 99 is too low.*raise it to at least 100 / });
});
