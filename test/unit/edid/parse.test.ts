import t from 'tap';
import { BLOCK_SIZE, checksumOk, expectedChecksum, fixChecksums } from '../../../agent/edid/checksum';
import { encodeDetailedTiming } from '../../../agent/edid/descriptors';
import { DMT_MODES } from '../../../agent/edid/dmt';
import { makeEdid } from '../../../agent/edid/generate';
import { parseEdid, validateEdid } from '../../../agent/edid/parse';
import { summarizeEdid } from '../../../agent/edid/summary';
import { runTool } from './fixtures/tools';

const good = () => Uint8Array.from(makeEdid({ width: 1024, height: 768 }).bytes);

/** A base block declaring one extension, followed by a CTA-861 rev 3 block built byte by byte. */
function withCtaExtension(): Uint8Array {
  const base = good();
  base[0x7e] = 1;
  const cta = new Uint8Array(BLOCK_SIZE);
  const dataBlocks = [
    0x42, 16, 0x81, // video data block: VIC 16 (1080p60), VIC 1 marked native (0x81)
    0x65, 0x03, 0x0c, 0x00, 0x10, 0x00, // HDMI VSDB: OUI 00-0C-03, physical address 1.0.0.0
    0xe2, 0x00, 0x40, // extended tag 0: video capability
  ];
  cta.set([0x02, 0x03, 4 + dataBlocks.length, 0xc1], 0);
  cta.set(dataBlocks, 4);
  const dtd = encodeDetailedTiming(DMT_MODES.find((m) => m.id === 0x52)!.timing, 527, 296);
  cta.set(dtd, 4 + dataBlocks.length);
  const edid = new Uint8Array(2 * BLOCK_SIZE);
  edid.set(base, 0);
  edid.set(cta, BLOCK_SIZE);
  return fixChecksums(edid).edid;
}

const errorsOf = (edid: Uint8Array) => validateEdid(edid).filter((p) => p.severity === 'error');

t.test('a bad header is an error at block 0 offset 0..7', async (t) => {
  const edid = good();
  edid[1] = 0x00;
  const errors = errorsOf(fixChecksums(edid).edid);
  t.same(errors.map((e) => [e.block, e.offset]), [[0, 1]]);
  t.match(errors[0]!.message, /header/);
});

t.test('a bad checksum is reported with the expected value, and fix repairs it', async (t) => {
  const edid = good();
  edid[0x5f] ^= 0x20; // change a byte of the monitor name
  const errors = errorsOf(edid);
  t.same(errors.map((e) => [e.block, e.offset]), [[0, 127]]);
  t.match(errors[0]!.message, `expected 0x${expectedChecksum(edid).toString(16).padStart(2, '0')}`);
  const { edid: fixed, fixed: changes } = fixChecksums(edid);
  t.same(changes, [{ block: 0, was: edid[127], now: expectedChecksum(edid) }]);
  t.ok(checksumOk(fixed));
  t.same(validateEdid(fixed), []);
  t.equal(edid[127], good()[127], 'fixChecksums does not modify its input');
  const sum = fixed.reduce((a, b) => a + b, 0);
  t.equal(sum % 256, 0, 'the block sums to 0 mod 256');
});

t.test('truncated and empty inputs are problems, not exceptions', async (t) => {
  const full = good();
  for (const length of [0, 1, 8, 127]) {
    const parsed = parseEdid(full.subarray(0, length));
    t.equal(parsed.valid, false, `${length} bytes invalid`);
    t.equal(parsed.base, undefined);
    t.match(parsed.problems[0]!.message, length === 0 ? /empty/ : /truncated/);
  }
  const cut = new Uint8Array(200);
  cut.set(full, 0);
  const parsed = parseEdid(cut);
  t.ok(parsed.base, 'the complete first block is still decoded');
  t.same(parsed.problems.filter((p) => p.severity === 'error').map((p) => [p.block, p.message.replace(/\d+ bytes/, 'N bytes')]), [[1, 'truncated: N bytes after the last complete block are ignored']]);
});

t.test('extension count disagreeing with the blocks present', async (t) => {
  const edid = good();
  edid[0x7e] = 2;
  const errors = errorsOf(fixChecksums(edid).edid);
  t.same(errors.map((e) => [e.block, e.offset]), [[0, 0x7e]]);
});

t.test('a descriptor 1 that is not a timing means no preferred mode', async (t) => {
  const edid = good();
  edid.fill(0, 0x36, 0x36 + 18);
  edid[0x36 + 3] = 0x10;
  const parsed = parseEdid(fixChecksums(edid).edid);
  t.equal(parsed.preferred, undefined);
  t.same(parsed.problems.filter((p) => p.severity === 'error').map((p) => p.offset), [0x36]);
});

t.test('CTA-861 extension: header flags, data blocks, HDMI VSDB, detailed timings', async (t) => {
  const parsed = parseEdid(withCtaExtension());
  t.same(parsed.problems, []);
  t.equal(parsed.extensions.length, 1);
  const cta = parsed.extensions[0]!.cta!;
  t.same([cta.revision, cta.underscan, cta.basicAudio, cta.nativeDetailedTimings, cta.hdmi], [3, true, true, 1, true]);
  t.same(cta.dataBlocks.map((b) => b.name), ['video', 'vendor-specific (HDMI)', 'extended: video capability']);
  t.same(cta.dataBlocks[0]!.vics, [16, 1]);
  t.equal(cta.dataBlocks[1]!.physicalAddress, '1.0.0.0');
  t.same(cta.detailedTimings.map((d) => [d.detailed.timing.hActive, d.detailed.timing.vActive, d.detailed.timing.pixelClockHz]), [[1920, 1080, 148_500_000]]);
  t.match(summarizeEdid(parsed), /block 1: CTA-861 revision 3, HDMI/);
});

t.test('a CTA data block running past its collection is an error, decoding stays in bounds', async (t) => {
  const edid = withCtaExtension();
  edid[BLOCK_SIZE + 4] = 0x5f; // video data block claiming 31 bytes
  const errors = errorsOf(fixChecksums(edid).edid);
  t.same(errors.map((e) => [e.block, e.offset]), [[1, 4]]);
  const edid2 = withCtaExtension();
  edid2[BLOCK_SIZE + 2] = 0xff; // DTD offset beyond the block
  t.same(errorsOf(fixChecksums(edid2).edid).map((e) => [e.block, e.offset]), [[1, 2]]);
});

t.test('other extension tags are listed by name', async (t) => {
  const edid = withCtaExtension();
  edid[BLOCK_SIZE] = 0x70;
  const parsed = parseEdid(fixChecksums(edid).edid);
  t.same(parsed.extensions.map((e) => [e.block, e.tag, e.name, e.cta]), [[1, 0x70, 'DisplayID', undefined]]);
});

t.test('random and mutated inputs never throw', async (t) => {
  // Deterministic xorshift so a failure reproduces.
  let seed = 0x12345678;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x100000000;
  };
  const template = withCtaExtension();
  let decoded = 0;
  let silent = 0;
  for (let i = 0; i < 2000; i++) {
    const length = Math.floor(rand() * 400);
    const data = new Uint8Array(length);
    data.set(template.subarray(0, Math.min(length, template.length)));
    const flips = 1 + Math.floor(rand() * 20);
    for (let f = 0; f < flips && length > 0; f++) data[Math.floor(rand() * length)] = Math.floor(rand() * 256);
    const parsed = parseEdid(data);
    summarizeEdid(parsed);
    if (parsed.base) decoded++;
    if (length < BLOCK_SIZE ? parsed.valid || parsed.base : parsed.base === undefined) silent++;
  }
  t.equal(silent, 0, 'short inputs are invalid without a base block; complete ones are decoded');
  t.ok(decoded > 1000, `most mutated inputs still decode a base block (${decoded})`);
});

t.test('base block fields agree with edid-decode', async (t) => {
  const edid = good();
  // Standard timings: 1024x768@60 (4:3), 1280x1024@75 (5:4), 1920x1080@60 (16:9), 1440x900@60 (16:10).
  edid.set([0x61, 0x40, 0x81, 0x8f, 0xd1, 0xc0, 0x95, 0x00], 0x26);
  edid[0x10] = 12; // week
  const fixed = fixChecksums(edid).edid;
  const parsed = parseEdid(fixed);
  const out = runTool('edid-decode', ['-'], fixed).stdout;
  const base = parsed.base!;
  t.match(out, `Manufacturer: ${base.manufacturer}`);
  t.match(out, `Model: ${base.productCode}`);
  t.match(out, `Made in: week ${base.week} of ${base.year}`);
  t.match(out, `Maximum image size: ${base.screenWidthCm} cm x ${base.screenHeightCm} cm`);
  const round4 = (v: number) => (Math.floor(v * 10000) / 10000).toFixed(4); // edid-decode truncates
  const c = base.chromaticity;
  t.match(out, `Red  : ${round4(c.red[0])}, ${round4(c.red[1])}`);
  t.match(out, `White: ${round4(c.white[0])}, ${round4(c.white[1])}`);
  t.equal(base.standardTimings.length, 4);
  const edStd = out.split('Standard Timings:')[1]!.split('Detailed Timing Descriptors:')[0]!.match(/\d{3,4}x\d{3,4}\s+[\d.]+/g)!.map((m) => m.split(/\s+/)).map(([size, hz]) => `${size}@${Math.round(Number(hz))}`);
  t.same(base.standardTimings.map((s) => `${s.width}x${s.height}@${s.refreshHz}`), edStd);
});
