/**
 * The device-guard policy: a command that uses the devices takes them (lease, then gadget) before
 * it runs and does not run when they cannot be had; releasing keys and reading storage status take
 * nothing.
 */
import t from 'tap';
import { DeviceGuard } from '../../../agent/device-guard';
import { AgentError } from '../../../agent/errors';
import type { HidService } from '../../../agent/hid/service';

function rig(options: { lease?: boolean; gadgetFails?: boolean } = {}) {
  const events: string[] = [];
  const lease = options.lease === false ? null : { ensure: async (holder: string) => void events.push(`lease ${holder}`) };
  const session = {
    ensureUp: async () => {
      events.push('gadget up');
      if (options.gadgetFails) throw new AgentError('no-device', 'no UDC');
    },
    reconnect: async () => void events.push('reconnect'),
    storageStatus: async () => (events.push('storage status'), []),
  };
  const guard = new DeviceGuard({ lease: lease as never, session });
  const hid = {
    key: async (combo: string) => void events.push(`key ${combo}`),
    typeText: async (text: string) => void events.push(`type ${text}`),
    pointerMove: async (x: number, y: number) => void events.push(`move ${x} ${y}`),
    pointerButtons: async (mask: number) => void events.push(`buttons ${mask}`),
    wheel: async (delta: number) => void events.push(`wheel ${delta}`),
    releaseAll: async () => void events.push('release all'),
  } as unknown as HidService;
  const storage = {
    attach: async (lun: number, file: string) => void events.push(`attach ${lun} ${file}`),
    eject: async (lun: number) => void events.push(`eject ${lun}`),
  };
  return { events, input: guard.input(hid), storage: guard.storage(storage as never), gadget: guard.gadget() };
}

t.test('every input command takes the devices first: lease, then gadget', async (t) => {
  const { events, input } = rig();
  await input.key('a');
  await input.typeText('x');
  await input.pointerMove(1, 2, { width: 1024, height: 768 });
  await input.pointerButtons(1);
  await input.wheel(-1);
  const taken = ['lease control', 'gadget up'];
  t.same(events, [...taken, 'key a', ...taken, 'type x', ...taken, 'move 1 2', ...taken, 'buttons 1', ...taken, 'wheel -1']);
});

t.test('without hand-off only the gadget is brought up', async (t) => {
  const { events, input } = rig({ lease: false });
  await input.key('a');
  t.same(events, ['gadget up', 'key a']);
});

t.test('a gadget that cannot come up: the command does not run and says why', async (t) => {
  const { events, input, storage, gadget } = rig({ gadgetFails: true });
  await t.rejects(input.key('a'), { code: 'no-device' });
  await t.rejects(storage.attach(0, '/srv/a.iso', { cdrom: true, readOnly: true }), { code: 'no-device' });
  await t.rejects(gadget.reconnect(), { code: 'no-device' });
  t.notOk(events.some((e) => /^(key|attach|reconnect)/.test(e)), 'nothing ran');
});

t.test('release-keys and storage status take nothing', async (t) => {
  const { events, input, storage } = rig();
  await input.releaseAll();
  await storage.status();
  t.same(events, ['release all', 'storage status']);
});

t.test('storage attach/eject and reconnect take the devices first', async (t) => {
  const { events, storage, gadget } = rig();
  await storage.attach(1, '/srv/a.iso', { cdrom: true, readOnly: true });
  await storage.eject(1);
  await gadget.reconnect();
  t.same(events, ['lease control', 'gadget up', 'attach 1 /srv/a.iso', 'lease control', 'gadget up', 'eject 1', 'lease control', 'gadget up', 'reconnect']);
});
