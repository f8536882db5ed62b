/**
 * The HidDevice contract (agent/hid/device.ts): what HidService relies on from a HID function's
 * device node. Run against the real HidgDevice on a FIFO (which, opened non-blocking, fails with
 * EAGAIN once full, as f_hid does while the host does not poll), the simulator's nodes (the virtual
 * USB host) and the recording double, in test/unit/hid/device-contract.test.ts.
 */
import type { Test } from 'tap';
import type { HidDevice } from '../../agent/hid/device';
import { settlesWithin } from '../unit/hid/fixtures/fifo';

interface HidDeviceFixture {
  /** A keyboard function's node, open, with no output report pending. */
  device: HidDevice;
  /** What the host took since the last call: the report's bytes (null: nothing). */
  delivered(): number[] | null;
  /** The host stays connected but stops collecting reports. */
  stopPolling(): void;
  /** The host sends an output report (keyboard LEDs); returns its bytes. */
  sendOutput(): number[];
  /** The host goes away (ESHUTDOWN); absent where the stand-in cannot (a FIFO). */
  unplug?: () => void;
  close(): Promise<void>;
}

export type HidDeviceFactory = () => Promise<HidDeviceFixture>;

const A_DOWN = [0, 0, 0x04, 0, 0, 0, 0, 0];
const SHIFT_A_B = [0x02, 0, 0x04, 0x05, 0, 0, 0, 0];
const RELEASED = [0, 0, 0, 0, 0, 0, 0, 0];

/** Bound on a hang, far above the contract's 100 ms: this guards, it does not measure. */
const HANG_GUARD_MS = 2000;

export function hidDeviceContract(t: Test, factory: HidDeviceFactory, options: { canUnplug: boolean }): void {
  const withDevice = (name: string, body: (f: HidDeviceFixture, t: Test) => Promise<void>) =>
    t.test(name, async (t) => {
      const f = await factory();
      try {
        await body(f, t);
      } finally {
        await f.close();
      }
    });

  withDevice('each write delivers exactly its report, in order', async (f, t) => {
    t.equal(f.delivered(), null, 'nothing before the first write');
    for (const report of [A_DOWN, SHIFT_A_B, RELEASED]) {
      await f.device.write(Uint8Array.from(report));
      t.same(f.delivered(), report);
    }
  });

  withDevice('a host that does not collect reports: host-offline, not a hang', async (f, t) => {
    f.stopPolling();
    await t.rejects(settlesWithin(f.device.write(Uint8Array.from(A_DOWN)), HANG_GUARD_MS), { name: 'AgentError', code: 'host-offline' });
  });

  withDevice('an output report from the host is read once, then nothing', async (f, t) => {
    t.equal(f.device.readOutputReport(), null, 'nothing pending');
    const sent = f.sendOutput();
    t.same([...(f.device.readOutputReport() ?? [])], sent);
    t.equal(f.device.readOutputReport(), null);
  });

  withDevice('close is idempotent; a closed node refuses writes and has nothing to read', async (f, t) => {
    await f.device.close();
    await f.device.close();
    await t.rejects(f.device.write(Uint8Array.from(A_DOWN)), { name: 'AgentError', code: 'no-device' });
    t.equal(f.device.readOutputReport(), null);
    t.equal(f.delivered(), null, 'nothing reached the host');
  });

  // A FIFO has no ESHUTDOWN: for HidgDevice that case is in test/unit/hid/hidg.test.ts (injected errno).
  if (!options.canUnplug) return;
  withDevice('a host that is gone: host-offline', async (f, t) => {
    t.ok(f.unplug, 'the fixture can unplug');
    f.unplug?.();
    await t.rejects(settlesWithin(f.device.write(Uint8Array.from(A_DOWN)), HANG_GUARD_MS), { name: 'AgentError', code: 'host-offline' });
  });
}
