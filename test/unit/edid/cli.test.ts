import t from 'tap';
import { expectedChecksum } from '../../../agent/edid/checksum';
import { runEdidCommand } from '../../../agent/cli/edid';
import { makeEdid } from '../../../agent/edid/generate';
import { readEdidFile, toHexText } from '../../../agent/edid/hexfile';
import { parseEdid } from '../../../agent/edid/parse';
import { memoryIo } from './fixtures/tools';

t.test('make writes hex to stdout by default, bin to --out on request', async (t) => {
  const m = memoryIo();
  t.equal(await runEdidCommand(['edid', 'make', '1024x768@60', '--name', 'Lab 3'], m.io), 0);
  const parsed = parseEdid(readEdidFile(Buffer.from(m.stdoutText())).bytes);
  t.ok(parsed.valid);
  t.same([parsed.preferred!.timing.hActive, parsed.preferred!.timing.vActive], [1024, 768]);
  t.same(parsed.base!.descriptors[2], { kind: 'name', text: 'Lab 3' });
  t.match(m.stderrText(), /^dmt 0x10: 1024x768@60\.00/);

  const b = memoryIo();
  t.equal(await runEdidCommand(['make', '1600x900', '--reduced-blanking', '--format', 'bin', '--out', 'x.bin'], b.io), 0);
  const bytes = b.files.get('x.bin')!;
  t.same(Buffer.from(bytes), Buffer.from(makeEdid({ width: 1600, height: 900, reducedBlanking: true }).bytes));
  t.equal(b.stdoutText(), '');
  t.match(b.stderrText(), /^cvt-rb: 1600x900@/);

  const h = memoryIo();
  t.equal(await runEdidCommand(['make', '1920x1080@60', '--hdmi'], h.io), 0);
  t.match(h.stdoutText(), /^([0-9A-F]{32}\n){16}$/, 'two blocks of hex');
  t.equal(parseEdid(readEdidFile(Buffer.from(h.stdoutText())).bytes).extensions[0]?.cta?.hdmi, true);
});

t.test('decode and check exit 0 on a valid EDID, 1 on an invalid one', async (t) => {
  const good = toHexText(makeEdid({ width: 1920, height: 1080 }).bytes);
  const badBytes = makeEdid({ width: 1920, height: 1080 }).bytes.slice();
  badBytes[20] ^= 1;
  const m = memoryIo({ 'good.hex': good, 'bad.bin': badBytes });
  t.equal(await runEdidCommand(['decode', 'good.hex'], m.io), 0);
  t.match(m.stdoutText(), /preferred mode: 1920x1080@60\.00/);
  t.match(m.stdoutText(), /problems: none/);
  const d = memoryIo({ 'bad.bin': badBytes });
  t.equal(await runEdidCommand(['decode', 'bad.bin'], d.io), 1);
  t.match(d.stdoutText(), /error block 0 @0x7f: bad checksum/);
  const c = memoryIo({ 'good.hex': good, 'bad.bin': badBytes });
  t.equal(await runEdidCommand(['check', 'good.hex'], c.io), 0);
  t.equal(await runEdidCommand(['check', 'bad.bin'], c.io), 1);
  t.equal(c.stdoutText(), 'valid\nerror block 0 @0x7f: bad checksum 0x' + badBytes[127]!.toString(16).padStart(2, '0') + ', expected 0x' + expectedChecksum(badBytes).toString(16).padStart(2, '0') + '\ninvalid\n');
});

t.test('fix rewrites the file in its own format, or to --out', async (t) => {
  const bytes = makeEdid({ width: 800, height: 600 }).bytes.slice();
  bytes[0x60] = 0x41;
  const m = memoryIo({ 'e.hex': toHexText(bytes), 'e.bin': bytes });
  t.equal(await runEdidCommand(['fix', 'e.hex'], m.io), 0);
  const text = Buffer.from(m.files.get('e.hex')!).toString();
  t.match(text, /^([0-9A-F]{32}\n){8}$/);
  t.ok(parseEdid(readEdidFile(Buffer.from(text)).bytes).valid);
  t.match(m.stderrText(), /block 0: checksum 0x[0-9a-f]{2} -> 0x[0-9a-f]{2}/);
  t.equal(await runEdidCommand(['fix', 'e.bin', '--out', 'fixed.bin'], m.io), 0);
  t.ok(parseEdid(m.files.get('fixed.bin')!).valid);
  t.same(Buffer.from(m.files.get('e.bin')!), Buffer.from(bytes), 'input untouched with --out');
});

t.test('usage errors exit 2, I/O errors exit 1', async (t) => {
  const cases: [string[], number, RegExp][] = [
    [[], 2, /usage/],
    [['frobnicate'], 2, /unknown subcommand/],
    [['make'], 2, /expected 1 argument/],
    [['make', '1024by768'], 2, /mode must look like/],
    [['make', '1024x768', '--format', 'png'], 2, /--format must be/],
    [['make', '1024x768', '--name', 'a name that is far too long'], 2, /monitor name/],
    [['make', '1024x768', '--bogus'], 2, /unknown option/],
    [['decode', 'missing.bin'], 1, /read missing.bin: ENOENT/],
    [['check', 'a', 'b'], 2, /expected 1 argument/],
  ];
  for (const [argv, code, message] of cases) {
    const m = memoryIo();
    t.equal(await runEdidCommand(argv, m.io), code, argv.join(' '));
    t.match(m.stderrText() + m.stdoutText(), message);
  }
});
