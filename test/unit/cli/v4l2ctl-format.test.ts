/**
 * The v4l2-ctl `--concise` text, against vectors written from v4l-utils' source
 * (v4l2-ctl-stds.cpp `print_dv_timings`, v4l2-info.cpp `dvflags2s`) and glibc printf rules.
 * The byte-for-byte comparison with the real tool is the kernel tier's v4l2ctl-format test.
 */
import t from 'tap';
import { DMT_1024X768_60, type BtTimings } from '../../../agent/capture/timings';
import {
  ZERO_TIMINGS,
  dvFlagsText,
  formatConciseTimings,
  formatGetDvTimings,
  ioctlFailedLine,
  nanTextFor,
  printfFixed2,
} from '../../../agent/cli/v4l2ctl-format';

/** CEA-861 VIC 5, 1920×1080i60 (74.25 MHz, 2200×1125 total): fields per second. */
const CEA_1080I60: BtTimings = {
  ...DMT_1024X768_60,
  width: 1920,
  height: 1080,
  interlaced: true,
  hsyncPositive: true,
  vsyncPositive: true,
  pixelclock: 74_250_000,
  hfrontporch: 88,
  hsync: 44,
  hbackporch: 148,
  vfrontporch: 2,
  vsync: 5,
  vbackporch: 15,
  ilVfrontporch: 2,
  ilVsync: 5,
  ilVbackporch: 16,
  standards: 0x1,
  flags: (1 << 1) | (1 << 4) | (1 << 7), // CAN_REDUCE_FPS | IS_CE_VIDEO | HAS_CEA861_VIC
};

t.test('concise timings line', async (t) => {
  t.equal(formatConciseTimings(DMT_1024X768_60), '\t1024x768p60.00 \n', 'DMT 1024x768: 65 MHz / (1344 x 806) = 60.0038, empty flags after a space');
  t.equal(formatGetDvTimings(DMT_1024X768_60), 'DV timings:\n\t1024x768p60.00 \n', '--get-dv-timings has the header line');
  t.equal(
    formatConciseTimings(CEA_1080I60),
    '\t1920x1080i60.00 framerate can be reduced by 1/1.001, CE-video, has CTA-861 VIC\n',
    'interlaced: fields per second from half the total height; flags in dvflags2s order',
  );
  const reducedV2 = { ...DMT_1024X768_60, vsync: 8, flags: 1 | (1 << 9) | (1 << 3) };
  t.equal(formatConciseTimings(reducedV2).split(' ').slice(1).join(' '), 'reduced blanking v2, can detect reduced framerates, half-line\n', 'vsync 8 means v2; CAN_DETECT before HALF_LINE');
  t.equal(dvFlagsText(4, 1), 'reduced blanking');
  t.equal(dvFlagsText(0, 0), '');
  const rate50 = { ...DMT_1024X768_60, pixelclock: 54_163_200 }; // 1344*806*50
  t.equal(formatConciseTimings(rate50), '\t1024x768p50.00 \n');
});

t.test('zeroed timings: 0/0 is NaN, spelled as the CPU makes it', async (t) => {
  t.equal(formatConciseTimings(ZERO_TIMINGS, 'arm'), '\t0x0pnan \n', 'ARM (the PiKVM): the 0x0pnan os-autoinst looks for');
  t.equal(formatConciseTimings(ZERO_TIMINGS, 'arm64'), '\t0x0pnan \n');
  t.equal(formatConciseTimings(ZERO_TIMINGS, 'x64'), '\t0x0p-nan \n', 'x86 SSE default NaN has the sign bit set');
  t.equal(nanTextFor('ia32'), '-nan');
  t.equal(formatConciseTimings({ ...ZERO_TIMINGS, pixelclock: 1000 }, 'arm'), '\t0x0pinf \n', 'x/0 is inf');
});

t.test('%.2f rounds exact binary ties to even, like glibc', async (t) => {
  t.equal(printfFixed2(0.125), '0.12');
  t.equal(printfFixed2(0.375), '0.38');
  t.equal(printfFixed2(60.625), '60.62');
  t.equal(printfFixed2(59.875), '59.88');
  t.equal(printfFixed2(1.005), '1.00', '1.005 is below the tie in binary');
  t.equal(printfFixed2(59.94005994), '59.94');
  t.equal(printfFixed2(29.97), '29.97');
  t.not((0.125).toFixed(2), printfFixed2(0.125), 'the case toFixed gets wrong');
});

t.test('ioctl failure line as doioctl_name prints it', async (t) => {
  t.equal(ioctlFailedLine('VIDIOC_QUERY_DV_TIMINGS', 'ENOLINK'), 'VIDIOC_QUERY_DV_TIMINGS: failed: Link has been severed\n');
  t.equal(ioctlFailedLine('VIDIOC_S_EDID', 'EBUSY'), 'VIDIOC_S_EDID: failed: Device or resource busy\n');
  t.equal(ioctlFailedLine('VIDIOC_QUERY_DV_TIMINGS', 'ENOLCK'), 'VIDIOC_QUERY_DV_TIMINGS: failed: No locks available\n');
  t.equal(ioctlFailedLine('VIDIOC_QUERY_DV_TIMINGS', 'ERANGE'), 'VIDIOC_QUERY_DV_TIMINGS: failed: Numerical result out of range\n');
});
