/** The CaptureDevice contract on the fake (the same suite runs on vivid in test/kernel). */
import t from 'tap';
import { FakeCaptureDevice } from '../../doubles/fake-capture';
import { captureDeviceContract } from '../../contract/capture-device';

captureDeviceContract(t, 'FakeCaptureDevice', async () => {
  const device = new FakeCaptureDevice();
  return {
    device,
    setSignal: async (signal) => device.setSignal(signal),
    cleanup: async () => undefined,
  };
});

t.test('FakeCaptureDevice refuses use before open and frames without signal', async (t) => {
  const device = new FakeCaptureDevice();
  await t.rejects(device.getEdid(), { code: 'no-device' });
  await device.open();
  await device.startStreaming();
  device.setSignal('no-signal');
  t.equal(await device.nextFrame(10), null, 'no frame without a signal');
  await device.close();
  t.notOk(device.streaming, 'close stops streaming');
});
