/**
 * `pikvm-agent v4l2-ctl`: argument shapes, the control line each sends, and the stdout/stderr/exit
 * status it produces for each daemon answer, against a stand-in `request`.
 */
import t from 'tap';
import { DMT_1024X768_60 } from '../../../agent/capture/timings';
import { parseV4l2CtlShimArgs, runV4l2CtlShim } from '../../../agent/cli/v4l2-ctl';

/** `backend/generalhw.pm`: `v4l2-ctl --device <dev> --concise <args>`, args split on spaces. */
const OS_AUTOINST = (args: string, dev = '/dev/video0') => ['--device', dev, '--concise', ...args.split(' ')];

/** How os-autoinst reads the value: first 50 bytes, `DV timings:` and all whitespace removed. */
const osAutoinstValue = (stdout: string) => stdout.slice(0, 50).replace('DV timings:', '').replace(/\s/g, '');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  sent: string[];
}

async function run(argv: string[], replies: Record<string, string | Error>, extra: { files?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  const out = { stdout: '', stderr: '', sent: [] as string[] };
  const code = await runV4l2CtlShim(argv, {
    request: async (line) => {
      out.sent.push(line);
      const reply = replies[line];
      if (reply === undefined) throw new Error(`unexpected request ${line}`);
      if (reply instanceof Error) throw reply;
      return reply;
    },
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    ...(extra.files
      ? {
          readFile: async (f: string) => {
            const text = extra.files![f];
            if (text === undefined) throw Object.assign(new Error(`ENOENT: ${f}`), { code: 'ENOENT' });
            return Buffer.from(text);
          },
        }
      : {}),
    cwd: extra.cwd ?? '/root',
    arch: 'arm',
  });
  return { code, ...out };
}

const ONLINE = `ok ${JSON.stringify({ state: 'online', timings: DMT_1024X768_60 })}`;

t.test('argument spellings v4l2-ctl accepts', async (t) => {
  const want = { device: '/dev/video0', action: { kind: 'get-dv-timings' } };
  t.same(parseV4l2CtlShimArgs(OS_AUTOINST('--get-dv-timings')), want);
  t.same(parseV4l2CtlShimArgs(['v4l2-ctl', ...OS_AUTOINST('--get-dv-timings')]), want, 'leading program name');
  t.same(parseV4l2CtlShimArgs(['--device=/dev/video0', '--concise', '--get-dv-timings']), want);
  t.same(parseV4l2CtlShimArgs(['-d', '/dev/video0', '--concise', '--get-dv-timings']), want);
  t.same(parseV4l2CtlShimArgs(['--concise', '--get-dv-timings', '-d', '/dev/video0']), want, 'any order');
  t.same(parseV4l2CtlShimArgs(OS_AUTOINST('--set-dv-bt-timings query')).action, { kind: 'apply-queried-timings' });
  t.same(parseV4l2CtlShimArgs([...OS_AUTOINST('--query-dv-timings').slice(0, 3), '--query-dv-timings']).action, { kind: 'query-dv-timings' });
  t.same(parseV4l2CtlShimArgs(['-d', '/dev/video0', '--concise', '--set-dv-bt-timings=query']).action, { kind: 'apply-queried-timings' });
  t.same(parseV4l2CtlShimArgs(OS_AUTOINST('--set-edid file=/etc/e.hex')).action, { kind: 'set-edid', file: '/etc/e.hex' });
  t.same(parseV4l2CtlShimArgs(['-d', '/dev/video0', '--concise', '--set-edid=type=hdmi']).action, { kind: 'set-edid', file: null });
  t.same(parseV4l2CtlShimArgs(['-d', '/tmp/d/video2', '--concise', '--get-dv-timings'], '/tmp/d').device, '/tmp/d/video2', 'device root injectable');
});

t.test('any other shape: exit 2, the supported shapes named, nothing asked', async (t) => {
  const bad: Array<[string[], RegExp]> = [
    [['--device', '/dev/video0', '--get-dv-timings'], /--concise is required/],
    [['--concise', '--get-dv-timings'], /--device is required/],
    [OS_AUTOINST('--get-dv-timings --query-dv-timings'), /more than one action/],
    [OS_AUTOINST('--set-dv-bt-timings width=1024'), /supports only "query"/],
    [OS_AUTOINST('--set-edid type=vga'), /file=FILE .* or type=hdmi/],
    [OS_AUTOINST('--set-edid file=a.hex,format=hex'), /file=FILE/],
    [OS_AUTOINST('--set-edid'), /--set-edid needs a value/],
    [OS_AUTOINST('--list-devices'), /unknown argument "--list-devices"/],
    [OS_AUTOINST('--get-dv-timings', '/tmp/video0'), /device must be a node in \/dev\//],
    [OS_AUTOINST(''), /unknown argument ""/],
    [['--device', '/dev/video0', '--concise'], /no action/],
  ];
  for (const [argv, why] of bad) {
    const r = await run(argv, {});
    t.equal(r.code, 2, `exit 2 for ${argv.join(' ')}`);
    t.match(r.stderr, why);
    t.match(r.stderr, /--set-dv-bt-timings query/, 'lists the supported shapes');
    t.match(r.stderr, /--set-edid type=hdmi/);
    t.same(r.sent, [], 'the daemon is not asked');
    t.equal(r.stdout, '');
  }
});

t.test('--get-dv-timings', async (t) => {
  const ok = await run(OS_AUTOINST('--get-dv-timings'), { 'video timings': ONLINE });
  t.same(ok, { code: 0, stdout: 'DV timings:\n\t1024x768p60.00 \n', stderr: '', sent: ['video timings'] });
  t.equal(osAutoinstValue(ok.stdout), '1024x768p60.00');

  const none = await run(OS_AUTOINST('--get-dv-timings'), { 'video timings': 'ok {"state":"no-signal"}' });
  t.same([none.code, none.stdout], [0, 'DV timings:\n\t0x0pnan \n'], 'no timings known: the zeroed struct, exit 0');
  t.equal(osAutoinstValue(none.stdout), '0x0pnan', 'what os-autoinst reads as "no signal"');

  const keepsTimings = await run(OS_AUTOINST('--get-dv-timings'), { 'video timings': `ok ${JSON.stringify({ state: 'no-signal', timings: DMT_1024X768_60 })}` });
  t.equal(keepsTimings.stdout, 'DV timings:\n\t1024x768p60.00 \n', 'G_DV_TIMINGS reports the set timings whatever the signal');

  const failed = await run(OS_AUTOINST('--get-dv-timings'), { 'video timings': 'error: not-supported VIDIOC_G_DV_TIMINGS: ENOTTY' });
  t.same([failed.code, failed.stdout], [255, 'VIDIOC_G_DV_TIMINGS: failed: Inappropriate ioctl for device\n']);
});

t.test('--query-dv-timings', async (t) => {
  const ok = await run(OS_AUTOINST('--query-dv-timings'), { 'video query': ONLINE });
  t.same(ok, { code: 0, stdout: '\t1024x768p60.00 \n', stderr: '', sent: ['video query'] });
  t.equal(osAutoinstValue(ok.stdout), '1024x768p60.00', 'same value as --get-dv-timings: no restart');

  const states: Array<[string, string]> = [
    ['no-signal', 'Link has been severed'],
    ['no-sync', 'No locks available'],
    ['out-of-range', 'Numerical result out of range'],
    ['busy', 'Device or resource busy'],
  ];
  for (const [state, text] of states) {
    const r = await run(OS_AUTOINST('--query-dv-timings'), { 'video query': `ok {"state":"${state}"}` });
    t.same([r.code, r.stdout], [255, `VIDIOC_QUERY_DV_TIMINGS: failed: ${text}\n\t0x0pnan \n`], state);
  }
  const err = await run(OS_AUTOINST('--query-dv-timings'), { 'video query': 'error: io VIDIOC_QUERY_DV_TIMINGS: EIO' });
  t.same([err.code, err.stdout], [255, 'VIDIOC_QUERY_DV_TIMINGS: failed: Input/output error\n\t0x0pnan \n']);
});

t.test('--set-dv-bt-timings query', async (t) => {
  const ok = await run(OS_AUTOINST('--set-dv-bt-timings query'), { 'video apply': ONLINE });
  t.same(ok, { code: 0, stdout: 'BT timings set\n', stderr: '', sent: ['video apply'] });
  t.equal((await run(OS_AUTOINST('--set-dv-bt-timings query'), { 'video apply': 'ok' })).stdout, 'BT timings set\n');

  const dark = await run(OS_AUTOINST('--set-dv-bt-timings query'), { 'video apply': 'error: io VIDIOC_QUERY_DV_TIMINGS: ENOLINK' });
  t.same(
    [dark.code, dark.stdout],
    [255, 'VIDIOC_QUERY_DV_TIMINGS: failed: Link has been severed\nVIDIOC_S_DV_TIMINGS: failed: Numerical result out of range\n'],
    'query fails, then S_DV_TIMINGS of the zeroed struct (TC358743: ERANGE)',
  );
  const dark2 = await run(OS_AUTOINST('--set-dv-bt-timings query'), { 'video apply': 'error: io no-sync: VIDIOC_QUERY_DV_TIMINGS failed; VIDIOC_S_DV_TIMINGS: EINVAL' });
  t.equal(dark2.stdout, 'VIDIOC_QUERY_DV_TIMINGS: failed: No locks available\nVIDIOC_S_DV_TIMINGS: failed: Invalid argument\n', 'the driver errno when the daemon names it');
  const stateOnly = await run(OS_AUTOINST('--set-dv-bt-timings query'), { 'video apply': 'ok {"state":"no-signal"}' });
  t.equal(stateOnly.code, 255, 'an ok without a signal is still a failure');

  const busy = await run(OS_AUTOINST('--set-dv-bt-timings query'), { 'video apply': 'error: busy VIDIOC_S_DV_TIMINGS: EBUSY' });
  t.same([busy.code, busy.stdout], [255, 'VIDIOC_S_DV_TIMINGS: failed: Device or resource busy\n'], 'only S_DV_TIMINGS failed');
});

t.test('--set-edid', async (t) => {
  const files = { '/root/edid/1024x768.hex': '00ffffffffffff00\n', '/etc/empty.hex': '\n \n' };
  const rel = await run(OS_AUTOINST('--set-edid file=edid/1024x768.hex'), { 'video edid /root/edid/1024x768.hex': 'ok' }, { files });
  t.same(rel, { code: 0, stdout: '', stderr: '', sent: ['video edid /root/edid/1024x768.hex'] }, 'relative to the shim cwd, silent on success');

  const hdmi = await run(OS_AUTOINST('--set-edid type=hdmi'), { 'video edid default': 'ok' });
  t.same([hdmi.code, hdmi.stdout, hdmi.sent], [0, '', ['video edid default']], 'type=hdmi → the configured EDID');

  const missing = await run(OS_AUTOINST('--set-edid file=/etc/nope.hex'), {}, { files });
  t.same([missing.code, missing.stdout, missing.stderr, missing.sent], [1, '', 'Failed to open /etc/nope.hex: No such file or directory\n', []]);
  const empty = await run(OS_AUTOINST('--set-edid file=/etc/empty.hex'), {}, { files });
  t.same([empty.code, empty.stderr], [1, '/etc/empty.hex contained an empty EDID, ignoring.\n']);

  const daemonMissing = await run(OS_AUTOINST('--set-edid file=x.hex'), { 'video edid /root/x.hex': 'error: not-found /root/x.hex: ENOENT' });
  t.same([daemonMissing.code, daemonMissing.stderr], [1, 'Failed to open x.hex: No such file or directory\n'], 'without readFile the daemon tells');

  const checksum = await run(OS_AUTOINST('--set-edid file=/e.hex'), { 'video edid /e.hex': 'error: bad-argument block 0 checksum is 0x12, should be 0x00' });
  t.same([checksum.code, checksum.stdout, checksum.stderr], [0, '', 'EDID not set due to checksum errors\n'], 'v4l2-ctl exits 0 here');

  const busy = await run(OS_AUTOINST('--set-edid type=hdmi'), { 'video edid default': 'error: busy VIDIOC_S_EDID: EBUSY' });
  t.same([busy.code, busy.stdout], [255, 'VIDIOC_S_EDID: failed: Device or resource busy\n']);
});

t.test('no daemon, no device, nonsense replies', async (t) => {
  const down = await run(OS_AUTOINST('--get-dv-timings'), { 'video timings': new Error("cannot connect to the agent's control socket /run/x: ENOENT") });
  t.equal(down.code, 1);
  t.match(down.stderr, /cannot ask the agent daemon: cannot connect.*\nCannot open device \/dev\/video0, exiting\.\n$/);
  t.equal(down.stdout, '');

  const noDev = await run(OS_AUTOINST('--query-dv-timings'), { 'video query': 'error: no-device no capture device' });
  t.same([noDev.code, noDev.stdout], [1, '']);
  t.match(noDev.stderr, /Cannot open device \/dev\/video0, exiting\./);
  const noDevState = await run(OS_AUTOINST('--query-dv-timings'), { 'video query': 'ok {"state":"no-device"}' });
  t.equal(noDevState.code, 1);

  const junk = await run(OS_AUTOINST('--query-dv-timings'), { 'video query': 'hello' });
  t.equal(junk.code, 1);
  t.match(junk.stderr, /unexpected reply "hello"/);
  const badTimings = await run(OS_AUTOINST('--query-dv-timings'), { 'video query': 'ok {"state":"online","timings":{"width":"x"}}' });
  t.equal(badTimings.code, 1);
  t.match(badTimings.stderr, /numeric width/);
});
