/**
 * The HidDevice contract (test/contract/hid-device.ts) against the real HidgDevice on a FIFO, the
 * simulator's nodes (agent/sim/usbhost.ts) and the recording double (test/doubles).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { AgentError } from '../../../agent/errors';
import { HidgDevice } from '../../../agent/hid/hidg';
import { ledReport } from '../../../agent/hid/reports';
import { DEFAULT_HID_FUNCTIONS, VirtualUsbHost } from '../../../agent/sim/usbhost';
import { hidDeviceContract, type HidDeviceFactory } from '../../contract/hid-device';
import { RecordingHidDevice } from '../../doubles/recording-hid-device';
import { drain, fillFifo, makeFifo, openPeer } from './fixtures/fifo';

const hidgOnFifo: HidDeviceFactory = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hid-contract-'));
  const node = makeFifo(path.join(dir, 'hidg0'));
  const device = HidgDevice.open(node);
  const host = openPeer(node);
  return {
    device,
    delivered: () => {
      const bytes = drain(host);
      return bytes.length > 0 ? [...bytes] : null;
    },
    stopPolling: () => void fillFifo(host),
    sendOutput: () => {
      // The FIFO is one pipe for both directions: read it back only when nothing was written.
      const report = [0x02];
      fs.writeSync(host, Uint8Array.from(report));
      return report;
    },
    close: async () => {
      await device.close();
      fs.closeSync(host);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
};

const simulated: HidDeviceFactory = async () => {
  const host = new VirtualUsbHost({ online: true });
  const device = host.hidDevice(DEFAULT_HID_FUNCTIONS.keyboard);
  while (device.readOutputReport() !== null); // the LED report a host sends when it enumerates
  let last = JSON.stringify(host.keyboardReport());
  return {
    device,
    delivered: () => {
      const now = JSON.stringify(host.keyboardReport());
      const changed = now !== last;
      last = now;
      return changed ? (JSON.parse(now) as number[]) : null;
    },
    stopPolling: () => host.setPolling(false),
    sendOutput: () => {
      // A replug: the host sends its LED state again, as real hosts do at enumeration.
      host.setOnline(false);
      host.setOnline(true);
      return [...ledReport(host.leds())];
    },
    unplug: () => host.setOnline(false),
    close: () => device.close(),
  };
};

const recording: HidDeviceFactory = async () => {
  const device = new RecordingHidDevice();
  let seen = 0;
  return {
    device,
    delivered: () => {
      const reports = device.reports().slice(seen);
      seen += reports.length;
      return reports.length === 1 ? reports[0]! : reports.length === 0 ? null : reports.flat();
    },
    stopPolling: () => device.failWrites(() => new AgentError('host-offline', 'host not reading reports (injected)')),
    sendOutput: () => {
      device.pushOutputReport(Uint8Array.of(0x02));
      return [0x02];
    },
    unplug: () => device.failWrites(() => new AgentError('host-offline', 'host not connected (injected)')),
    close: () => device.close(),
  };
};

t.test('HidDevice contract: HidgDevice on a FIFO', async (t) => hidDeviceContract(t, hidgOnFifo, { canUnplug: false }));
t.test('HidDevice contract: simulator', async (t) => hidDeviceContract(t, simulated, { canUnplug: true }));
t.test('HidDevice contract: recording double', async (t) => hidDeviceContract(t, recording, { canUnplug: true }));
