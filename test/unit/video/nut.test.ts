import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32Nut } from '../../../agent/video/nut/crc32';
import { NutByteWriter } from '../../../agent/video/nut/bytes';
import { FILE_ID_STRING, MAIN_STARTCODE, NutMuxer, SYNCPOINT_STARTCODE } from '../../../agent/video/nut/muxer';
import { requireFfmpeg } from './fixtures/tools';

t.test('CRC-32 0x04C11DB7, MSB first, init 0, no final xor', async (t) => {
  // The catalogued CRC-32/POSIX (same polynomial, init 0, not reflected) has check value
  // 0x765E7680 after a final XOR with 0xFFFFFFFF; ours has no final XOR.
  t.equal(crc32Nut(Buffer.from('123456789')), (0x765e7680 ^ 0xffffffff) >>> 0);
  t.equal(crc32Nut(Buffer.alloc(0)), 0);
  const data = Buffer.from('nut packet payload');
  const withCrc = Buffer.concat([data, new NutByteWriter().u32(crc32Nut(data)).toBuffer()]);
  t.equal(crc32Nut(withCrc), 0, 'CRC over data ‖ crc is 0 (how ffmpeg verifies)');
});

t.test('variable-length integers', async (t) => {
  const hex = (f: (w: NutByteWriter) => NutByteWriter) => f(new NutByteWriter()).toBuffer().toString('hex');
  t.equal(hex((w) => w.v(0)), '00');
  t.equal(hex((w) => w.v(127)), '7f');
  t.equal(hex((w) => w.v(128)), '8100');
  t.equal(hex((w) => w.v(16383)), 'ff7f');
  t.equal(hex((w) => w.v(16384)), '818000');
  // 2359296 = 0x240000 → groups of 7 bits: 1, 0x10, 0, 0 → 81 90 80 00
  t.equal(hex((w) => w.v(2359296)), '81908000');
  t.equal(hex((w) => w.s(0)), '00');
  t.equal(hex((w) => w.s(1)), '01');
  t.equal(hex((w) => w.s(-1)), '02');
  t.equal(hex((w) => w.s(2)), '03');
  t.throws(() => new NutByteWriter().v(-1));
});

function muxFrames(width: number, height: number, pts: number[]): { bytes: Buffer; frames: Buffer[] } {
  const m = new NutMuxer({ width, height });
  const parts: Buffer[] = [m.header()];
  const frames: Buffer[] = [];
  pts.forEach((p, i) => {
    const rgb = Buffer.alloc(width * height * 3);
    for (let k = 0; k < rgb.length; k++) rgb[k] = (k * 7 + i * 31) & 0xff;
    frames.push(rgb);
    parts.push(m.frameHeader(p, rgb.length), rgb);
  });
  return { bytes: Buffer.concat(parts), frames };
}

t.test('stream layout', async (t) => {
  const { bytes } = muxFrames(8, 4, [0, 50]);
  t.same(bytes.subarray(0, FILE_ID_STRING.length), FILE_ID_STRING, 'file id string first');
  t.equal(bytes.readBigUInt64BE(FILE_ID_STRING.length), MAIN_STARTCODE, 'main header follows');
  let syncpoints = 0;
  for (let i = 0; i + 8 <= bytes.length; i++) if (bytes.readBigUInt64BE(i) === SYNCPOINT_STARTCODE) syncpoints++;
  t.equal(syncpoints, 2, 'one syncpoint per frame');
  const m = new NutMuxer({ width: 8, height: 4 });
  m.header();
  m.frameHeader(10, 96);
  t.throws(() => m.frameHeader(10, 96), RangeError, 'pts must increase');
  t.throws(() => m.frameHeader(11, 95), RangeError, 'frame size must match the stream');
});

t.test('ffprobe and ffmpeg read the stream back exactly', async (t) => {
  if (!requireFfmpeg(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'nut-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const width = 64;
  const height = 48;
  const pts = [0, 50, 100, 150, 230, 300, 1000];
  const { bytes, frames } = muxFrames(width, height, pts);
  const file = join(dir, 'a.nut');
  writeFileSync(file, bytes);

  // Read from a pipe, as from HTTP: not seekable, no index expected (a live stream has no end).
  const probe = spawnSync('ffprobe', ['-v', 'error', '-show_streams', '-show_packets', '-of', 'json', '-i', 'pipe:0'], { input: bytes });
  t.equal(probe.status, 0, `ffprobe exit 0 ${probe.stderr.toString()}`);
  t.equal(probe.stderr.toString(), '', 'ffprobe reports no error');
  const info = JSON.parse(probe.stdout.toString()) as {
    streams: Array<{ codec_name: string; pix_fmt: string; width: number; height: number; time_base: string }>;
    packets: Array<{ pts: number; size: string; flags: string }>;
  };
  t.equal(info.streams.length, 1);
  t.match(info.streams[0], { codec_name: 'rawvideo', pix_fmt: 'rgb24', width, height, time_base: '1/100' });
  t.same(info.packets.map((p) => p.pts), pts, 'timestamps as written, increasing');
  t.ok(info.packets.every((p) => Number(p.size) === width * height * 3 && p.flags.startsWith('K')), 'whole key frames');

  const decoded = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-vsync', 'passthrough', '-'], {
    maxBuffer: 1 << 26,
  });
  t.equal(decoded.status, 0, decoded.stderr.toString());
  t.same(decoded.stdout, Buffer.concat(frames), 'pixels round-trip bit-exactly');
});
