import t from 'tap';
import { isAgentError } from '../../../agent/errors';
import { BLOCK_SIZE, checksumOk } from '../../../agent/edid/checksum';
import { DMT_MODES } from '../../../agent/edid/dmt';
import { cvtTiming } from '../../../agent/edid/cvt';
import { makeEdid } from '../../../agent/edid/generate';
import { parseEdid } from '../../../agent/edid/parse';
import { lineRateHz, matchesRequest, refreshHz } from '../../../agent/edid/timing';
import { runTool } from './fixtures/tools';

const REQUIRED_DMT: [number, number][] = [
  [640, 480],
  [800, 600],
  [1024, 768],
  [1280, 720],
  [1280, 1024],
  [1920, 1080],
];

t.test('the required modes come from the DMT table and round-trip through the parser', async (t) => {
  for (const [w, h] of REQUIRED_DMT) {
    const made = makeEdid({ width: w, height: h, refreshHz: 60 });
    const dmt = DMT_MODES.find((m) => m.timing.hActive === w && m.timing.vActive === h && m.nominalHz === 60 && !m.reducedBlanking)!;
    t.equal(made.source, 'dmt', `${w}x${h} source`);
    t.equal(made.dmtId, dmt.id);
    t.equal(made.bytes.length, BLOCK_SIZE);
    const parsed = parseEdid(made.bytes);
    t.same(parsed.problems, [], `${w}x${h} has no problems`);
    // The pixel clock is stored in 10 kHz units: 25.175 MHz comes back as 25.18 MHz.
    t.same({ ...parsed.preferred!.timing, pixelClockHz: 0 }, { ...dmt.timing, pixelClockHz: 0 });
    t.equal(parsed.preferred!.timing.pixelClockHz, Math.round(dmt.timing.pixelClockHz / 10_000) * 10_000);
    t.ok(matchesRequest(parsed.preferred!.timing, { width: w, height: h, refreshHz: 60 }), `${w}x${h} preferred is @60`);
  }
});

t.test('CVT modes: the preferred timing is the CVT timing for the request', async (t) => {
  const cases = [
    { width: 1366, height: 700, refreshHz: 60, reducedBlanking: false },
    { width: 1600, height: 900, refreshHz: 60, reducedBlanking: false },
    { width: 1920, height: 1080, refreshHz: 60, reducedBlanking: true },
    { width: 2560, height: 1440, refreshHz: 60, reducedBlanking: true },
    { width: 1024, height: 768, refreshHz: 50, reducedBlanking: false },
  ];
  for (const c of cases) {
    const made = makeEdid(c);
    t.equal(made.source, c.reducedBlanking ? 'cvt-rb' : 'cvt');
    const parsed = parseEdid(made.bytes);
    t.ok(parsed.valid, `${c.width}x${c.height} valid`);
    t.same(parsed.preferred!.timing, cvtTiming(c.width, c.height, c.refreshHz, c));
    t.ok(matchesRequest(parsed.preferred!.timing, c), `${c.width}x${c.height}@${c.refreshHz} preferred`);
  }
});

t.test('name, serial, range limits and identity are as requested and consistent', async (t) => {
  const made = makeEdid({ width: 1024, height: 768, name: 'openQA SUT 01' });
  const parsed = parseEdid(made.bytes);
  const base = parsed.base!;
  t.same(base.descriptors.map((d) => d.kind), ['timing', 'range', 'name', 'serial']);
  t.same(base.descriptors[2], { kind: 'name', text: 'openQA SUT 01' });
  t.equal(base.manufacturer, 'LNX');
  t.same([base.version, base.revision, base.extensionCount, base.digital], [1, 3, 0, true]);
  t.same(base.established, ['640x480@60']);
  const range = base.descriptors[1]!;
  if (range.kind !== 'range') throw new Error('no range');
  const pref = parsed.preferred!.timing;
  t.ok(range.range.minVerticalHz <= refreshHz(pref) && refreshHz(pref) <= range.range.maxVerticalHz);
  t.ok(range.range.minHorizontalKhz <= lineRateHz(pref) / 1000 && lineRateHz(pref) / 1000 <= range.range.maxHorizontalKhz);
  t.ok(range.range.maxPixelClockMhz * 1e6 >= pref.pixelClockHz);
  // 640x480@60 (31.47 kHz) is advertised too, so the range must reach down to it.
  t.ok(range.range.minHorizontalKhz <= 31);
  t.not(makeEdid({ width: 1024, height: 768 }).bytes.join(), makeEdid({ width: 1280, height: 1024 }).bytes.join());
  t.not(parseEdid(makeEdid({ width: 1280, height: 1024 }).bytes).base!.productCode, base.productCode, 'each mode has its own identity');
  t.same(makeEdid({ width: 1024, height: 768 }).bytes, makeEdid({ width: 1024, height: 768 }).bytes, 'output is reproducible');
});

t.test('hdmi: a second, CTA-861 block declares an HDMI sink and lists the CTA VIC of the mode', async (t) => {
  for (const [w, h, vics] of [[1920, 1080, [1, 16]], [1280, 720, [1, 4]], [1024, 768, [1]], [1300, 700, [1]]] as const) {
    const made = makeEdid({ width: w, height: h, hdmi: true });
    t.equal(made.bytes.length, 2 * BLOCK_SIZE);
    const parsed = parseEdid(made.bytes);
    t.same(parsed.problems, [], `${w}x${h} has no problems`);
    t.equal(parsed.base!.extensionCount, 1);
    const cta = parsed.extensions[0]!.cta!;
    t.same([cta.hdmi, cta.revision, cta.underscan, cta.basicAudio, cta.nativeDetailedTimings], [true, 3, true, false, 1]);
    t.same(cta.dataBlocks.find((b) => b.tag === 2)!.vics, vics);
    t.same(cta.dataBlocks.find((b) => b.physicalAddress)!.physicalAddress, '1.0.0.0');
    t.same(parsed.preferred!.timing.hActive, w, 'the preferred mode is still the base block DTD');
    const r = runTool('edid-decode', ['--check', '-'], made.bytes);
    t.match(r.stdout, /EDID conformity: PASS/);
    t.notMatch(r.stdout, /Warnings:|Failures:/);
  }
  t.same(makeEdid({ width: 1024, height: 768, hdmi: true }).bytes.subarray(0, 126), makeEdid({ width: 1024, height: 768 }).bytes.subarray(0, 126), 'the base block differs only in its extension count and checksum');
});

t.test('requests that cannot be encoded are bad-argument errors', async (t) => {
  const bad = [
    { width: 1024, height: 768, name: 'fourteen chars' },
    { width: 1024, height: 768, name: 'naïve' },
    { width: 0, height: 768 },
    { width: 5000, height: 768 },
    { width: 1024, height: 768, refreshHz: 0 },
    { width: 1024, height: 768, manufacturer: 'L1X' },
    { width: 4095, height: 4095, refreshHz: 240 },
  ];
  for (const options of bad) {
    let caught: unknown;
    try {
      makeEdid(options);
    } catch (e) {
      caught = e;
    }
    t.ok(isAgentError(caught, 'bad-argument'), `${JSON.stringify(options)}: ${String(caught)}`);
  }
});

t.test('edid-decode --check passes generated EDIDs of several kinds', async (t) => {
  const cases = [
    { width: 800, height: 600 },
    { width: 1280, height: 720 },
    { width: 1366, height: 768 },
    { width: 1300, height: 700 },
    { width: 1920, height: 1080, reducedBlanking: true },
    { width: 3840, height: 2160, refreshHz: 30 },
  ];
  for (const c of cases) {
    const made = makeEdid(c);
    t.ok(checksumOk(made.bytes));
    const r = runTool('edid-decode', ['--check', '-'], made.bytes);
    t.match(r.stdout, /EDID conformity: PASS/, `${JSON.stringify(c)}: ${r.stdout.split('\n').filter((l) => /fail|warn/i.test(l)).join(' | ')}`);
    t.notMatch(r.stdout, /Warnings:|Failures:/);
  }
});
