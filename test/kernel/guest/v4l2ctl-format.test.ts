/**
 * `pikvm-agent v4l2-ctl` against the real v4l2-ctl (v4l-utils) on vivid's HDMI input: for the calls
 * os-autoinst makes (`--device D --concise --get-dv-timings | --query-dv-timings |
 * --set-dv-bt-timings query | --set-edid …`), the shim's stdout and exit status must be the real
 * tool's, byte for byte. The shim's daemon is stood in for by a `request` that answers from
 * V4l2Device on the same node (the same ioctls the daemon makes), so both read the same kernel state.
 */
import t from 'tap';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { errorReply } from '../../../agent/control/reply';
import { runV4l2CtlShim } from '../../../agent/cli/v4l2-ctl';
import { V4l2Device } from '../../../agent/capture/v4l2/device';
import { V4l2Error } from '../../../agent/capture/v4l2/v4l2-errors';
import { DMT_1024X768_60 } from '../../../agent/capture/timings';
import { CEA_1280X720_60, testEdid } from '../../contract/capture-device';
import { signalModeControlId, SOURCE_SIGNAL_MODE, vividNode } from './fixtures/vivid';
import { assertInGuest, paths, run } from './kernel-env';

assertInGuest();

const QUERY_ERRNO = { 'no-signal': 'ENOLINK', 'no-sync': 'ENOLCK', 'out-of-range': 'ERANGE' } as const;

/** The daemon's side of `video timings|query|apply|edid`, answered from the device itself. */
function standInDaemon(device: V4l2Device, edidLoaded: string[]) {
  return async (line: string): Promise<string> => {
    try {
      if (line === 'video timings') return `ok ${JSON.stringify({ state: 'online', timings: device.getDvTimings() })}`;
      if (line === 'video query') return `ok ${JSON.stringify(device.queryDvTimings())}`;
      if (line === 'video apply') {
        const q = device.queryDvTimings();
        if (q.state !== 'online') throw new V4l2Error(QUERY_ERRNO[q.state as keyof typeof QUERY_ERRNO] ?? 'EIO', 'VIDIOC_QUERY_DV_TIMINGS');
        device.setDvTimings(q.timings);
        return `ok ${JSON.stringify(q)}`;
      }
      const edid = /^video edid (.+)$/.exec(line);
      if (edid) {
        edidLoaded.push(edid[1]!);
        return 'ok';
      }
      return `error: bad-command ${line}`;
    } catch (e) {
      return errorReply(e);
    }
  };
}

async function shim(node: string, device: V4l2Device, args: string, edidLoaded: string[] = []) {
  let stdout = '';
  let stderr = '';
  const code = await runV4l2CtlShim(['--device', node, '--concise', ...args.split(' ')], {
    request: standInDaemon(device, edidLoaded),
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    readFile: (f) => fs.readFile(f),
    devRoot: paths.devRoot,
  });
  return { code, stdout, stderr };
}

async function real(node: string, args: string) {
  return run('v4l2-ctl', ['--device', node, '--concise', ...args.split(' ')]);
}

t.test('v4l2-ctl shim vs real v4l2-ctl on vivid', async (t) => {
  const node = await vividNode();
  const signalModeId = await signalModeControlId(node);
  if (signalModeId === undefined) throw new Error('vivid lists no dv_timings_signal_mode control');
  const version = await run('v4l2-ctl', ['--version']);
  t.comment(`vivid node ${node}; ${version.stdout.trim()}; arch ${process.arch}`);

  const device = new V4l2Device();
  device.open(node);
  t.teardown(() => {
    device.setControl(signalModeId, SOURCE_SIGNAL_MODE.online);
    device.close();
  });
  device.setControl(signalModeId, SOURCE_SIGNAL_MODE.online);
  device.setEdid(testEdid(4));

  for (const [name, timings] of [
    ['DMT 1024x768p60', DMT_1024X768_60],
    ['CEA 1280x720p60 (flags)', CEA_1280X720_60],
    ['DMT 1024x768p60 again', DMT_1024X768_60],
  ] as const) {
    t.test(`${name}: --get-dv-timings and --query-dv-timings`, async (t) => {
      device.setDvTimings(timings);
      t.equal(device.getDvTimings().width, timings.width, 'vivid took the timings');
      for (const args of ['--get-dv-timings', '--query-dv-timings']) {
        const theirs = await real(node, args);
        const ours = await shim(node, device, args);
        t.equal(theirs.code, 0, `real ${args} succeeds: ${theirs.stderr}`);
        t.equal(ours.stdout, theirs.stdout, `${args}: byte-identical stdout ${JSON.stringify(theirs.stdout)}`);
        t.equal(ours.code, theirs.code, `${args}: same exit status`);
        t.equal(ours.stderr, '', 'nothing on stderr');
      }
    });
  }

  t.test('--set-dv-bt-timings query with a signal', async (t) => {
    device.setDvTimings(DMT_1024X768_60);
    const theirs = await real(node, '--set-dv-bt-timings query');
    const ours = await shim(node, device, '--set-dv-bt-timings query');
    t.same([ours.code, ours.stdout], [theirs.code, theirs.stdout], `identical: ${JSON.stringify(theirs.stdout)}`);
    t.equal(theirs.code, 0);
  });

  for (const signal of ['no-signal', 'no-sync', 'out-of-range'] as const) {
    t.test(`${signal} (dv_timings_signal_mode=${SOURCE_SIGNAL_MODE[signal]})`, async (t) => {
      device.setDvTimings(DMT_1024X768_60);
      device.setControl(signalModeId, SOURCE_SIGNAL_MODE[signal]);
      t.teardown(() => device.setControl(signalModeId, SOURCE_SIGNAL_MODE.online));

      const q = await real(node, '--query-dv-timings');
      const qOurs = await shim(node, device, '--query-dv-timings');
      t.not(q.code, 0, 'real --query-dv-timings fails');
      t.equal(qOurs.stdout, q.stdout, `--query-dv-timings: byte-identical stdout ${JSON.stringify(q.stdout)}`);
      t.equal(qOurs.code, q.code, '--query-dv-timings: same exit status');

      // G_DV_TIMINGS keeps answering the set timings without a signal (vivid never returns zeroed
      // timings here, so the `0x0pnan` form of --get-dv-timings is covered by the unit tests)
      const g = await real(node, '--get-dv-timings');
      const gOurs = await shim(node, device, '--get-dv-timings');
      t.same([gOurs.code, gOurs.stdout], [g.code, g.stdout], `--get-dv-timings identical: ${JSON.stringify(g.stdout)}`);

      // the query fails, then v4l2-ctl hands the zeroed struct to S_DV_TIMINGS, whose errno is the
      // driver's (vivid EINVAL, TC358743 ERANGE): compare exit status and the query line
      const a = await real(node, '--set-dv-bt-timings query');
      const aOurs = await shim(node, device, '--set-dv-bt-timings query');
      t.equal(aOurs.code, a.code, '--set-dv-bt-timings query: same exit status');
      const [aFirst, aSecond] = a.stdout.split('\n');
      const [oFirst, oSecond] = aOurs.stdout.split('\n');
      t.equal(oFirst, aFirst, `query failure line identical: ${aFirst}`);
      t.match(aSecond, /^VIDIOC_S_DV_TIMINGS: failed: /, `real: ${aSecond}`);
      t.match(oSecond, /^VIDIOC_S_DV_TIMINGS: failed: /, `ours: ${oSecond}`);
    });
  }

  t.test('--set-edid file=F and type=hdmi: silent success; a missing file as v4l2-ctl reports it', async (t) => {
    const tmp = await fs.mkdtemp('/tmp/v4l2ctl-edid-');
    t.teardown(() => fs.rm(tmp, { recursive: true, force: true }));
    const saved = device.getEdid();
    t.teardown(() => device.setEdid(saved));
    const hex = testEdid(11).toString('hex').replace(/(.{32})/g, '$1\n');
    const file = path.join(tmp, 'e.hex');
    await fs.writeFile(file, hex);
    const loaded: string[] = [];
    for (const args of [`--set-edid file=${file}`, '--set-edid type=hdmi']) {
      const theirs = await real(node, args);
      const ours = await shim(node, device, args, loaded);
      t.same([ours.code, ours.stdout, ours.stderr], [theirs.code, theirs.stdout, theirs.stderr], `${args}: identical (${theirs.code})`);
    }
    t.same(loaded, [file, 'default'], 'the daemon is asked for the file, then for its default EDID');
    const missing = path.join(tmp, 'missing.hex');
    const theirs = await real(node, `--set-edid file=${missing}`);
    const ours = await shim(node, device, `--set-edid file=${missing}`);
    t.same([ours.code, ours.stdout, ours.stderr], [theirs.code, theirs.stdout, theirs.stderr], `missing file identical: ${JSON.stringify(theirs.stderr)}`);
  });
});
