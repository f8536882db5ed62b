/**
 * V4L2 against the real kernel: vivid with one HDMI input (test/kernel/modules.txt). Runs the
 * CaptureDevice contract on V4l2CaptureDevice, then checks our ioctls against v4l2-ctl (v4l-utils)
 * on the same node: EDID bytes both ways, DV timings and refresh rate, signal states set through
 * VIDIOC_S_CTRL on vivid's `dv_timings_signal_mode` control.
 */
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { V4L2_IN_CAP_DV_TIMINGS } from '../../../agent/capture/v4l2/constants';
import { V4l2Device } from '../../../agent/capture/v4l2/device';
import { DMT_1024X768_60, refreshRate } from '../../../agent/capture/timings';
import { V4l2CaptureDevice } from '../../../agent/capture/v4l2/v4l2-capture';
import { captureDeviceContract, testEdid } from '../../contract/capture-device';
import { setSignalMode, signalModeControlId, SOURCE_SIGNAL_MODE, v4l2ctl, vividNode } from './fixtures/vivid';
import { assertInGuest } from './kernel-env';

assertInGuest();

t.test('vivid', async (t) => {
  const node = await vividNode();
  t.comment(`vivid node: ${node}`);

  captureDeviceContract(t, 'V4l2CaptureDevice on vivid', async () => ({
    device: new V4l2CaptureDevice(node),
    setSignal: (signal) => setSignalMode(node, SOURCE_SIGNAL_MODE[signal]),
    cleanup: () => setSignalMode(node, SOURCE_SIGNAL_MODE.online),
  }));

  t.test('capabilities and the HDMI input', async (t) => {
    const device = new V4l2Device();
    device.open(node);
    t.teardown(() => device.close());
    t.equal(device.queryCap().driver, 'vivid');
    const inputs = device.enumInputs();
    t.equal(inputs.length, 1);
    t.ok(inputs[0]!.capabilities & V4L2_IN_CAP_DV_TIMINGS, 'input supports DV timings');
    t.equal(device.getInput(), 0);
  });

  t.test('EDID agrees with v4l2-ctl both ways; cleared EDID is no signal for both', async (t) => {
    const device = new V4l2Device();
    device.open(node);
    t.teardown(() => device.close());
    const tmp = await fs.mkdtemp('/tmp/v4l2-edid-');
    t.teardown(() => fs.rm(tmp, { recursive: true, force: true }));

    const ours = testEdid(21);
    device.setEdid(ours);
    const out = path.join(tmp, 'out.bin');
    const get = await v4l2ctl(node, `--get-edid=format=raw,file=${out}`);
    t.equal(get.code, 0, get.stderr);
    t.ok((await fs.readFile(out)).equals(ours), 'v4l2-ctl reads the bytes we set');

    const theirs = testEdid(99);
    const inFile = path.join(tmp, 'in.bin');
    await fs.writeFile(inFile, theirs);
    const set = await v4l2ctl(node, `--set-edid=file=${inFile},format=raw`);
    t.equal(set.code, 0, set.stderr);
    t.ok(device.getEdid().equals(theirs), 'we read the bytes v4l2-ctl set');

    device.setEdid(Buffer.alloc(0));
    t.equal(device.getEdid().length, 0);
    t.same(device.queryDvTimings(), { state: 'no-signal' });
    const q = await v4l2ctl(node, '--query-dv-timings');
    t.not(q.code, 0, 'v4l2-ctl --query-dv-timings fails too');
    device.setEdid(ours);
    t.equal(device.queryDvTimings().state, 'online');
  });

  t.test('1024x768 DV timings applied and queried back match v4l2-ctl', async (t) => {
    const device = new V4l2Device();
    device.open(node);
    t.teardown(() => device.close());
    device.setEdid(testEdid(4));
    device.setDvTimings(DMT_1024X768_60);
    const got = device.getDvTimings();
    t.same(got, DMT_1024X768_60, 'G_DV_TIMINGS returns exactly the DMT preset');
    const q = device.queryDvTimings();
    t.same(q, { state: 'online', timings: DMT_1024X768_60 }, 'vivid (signal mode 0) sends the current timings');

    const r = await v4l2ctl(node, '--get-dv-timings');
    t.equal(r.code, 0, r.stderr);
    const field = (label: string): number => {
      const m = new RegExp(`${label}:\\s*(\\d+)`).exec(r.stdout);
      if (!m) throw new Error(`no "${label}" in v4l2-ctl output:\n${r.stdout}`);
      return Number(m[1]);
    };
    t.equal(field('Active width'), got.width);
    t.equal(field('Active height'), got.height);
    t.equal(field('Pixelclock'), got.pixelclock);
    t.equal(field('Horizontal frontporch'), got.hfrontporch);
    t.equal(field('Horizontal sync'), got.hsync);
    t.equal(field('Horizontal backporch'), got.hbackporch);
    t.equal(field('Vertical frontporch'), got.vfrontporch);
    t.equal(field('Vertical sync'), got.vsync);
    t.equal(field('Vertical backporch'), got.vbackporch);
    const fps = /\(([\d.]+) frames per second\)/.exec(r.stdout);
    t.ok(fps, 'v4l2-ctl prints the frame rate');
    t.equal(refreshRate(got).toFixed(2), fps![1], 'our refresh rate is the one v4l2-ctl prints');

    const format = device.getFormat();
    t.match(format, { width: 1024, height: 768 });
  });

  t.test('signal states through VIDIOC_S_CTRL on dv_timings_signal_mode', async (t) => {
    const id = await signalModeControlId(node);
    t.ok(id !== undefined, 'vivid lists the control');
    if (id === undefined) return;
    const device = new V4l2Device();
    device.open(node);
    t.teardown(() => {
      device.setControl(id, SOURCE_SIGNAL_MODE.online);
      device.close();
    });
    device.setEdid(testEdid(8));
    for (const signal of ['no-signal', 'no-sync', 'out-of-range', 'online'] as const) {
      device.setControl(id, SOURCE_SIGNAL_MODE[signal]);
      t.equal(device.queryDvTimings().state, signal, `mode ${SOURCE_SIGNAL_MODE[signal]} → ${signal}`);
      const r = await v4l2ctl(node, '--query-dv-timings');
      t.equal(r.code === 0, signal === 'online', `v4l2-ctl agrees for ${signal}`);
    }
  });
});
