import t from 'tap';
import { encodePpm, ppmHeader, ppmParts } from '../../../agent/video/ppm';
import { OS_AUTOINST_PPM_HEADER, parsePpmLikeOsAutoinst } from '../../doubles/os-autoinst-ppm';

t.test('header form os-autoinst accepts', async (t) => {
  t.equal(ppmHeader(1024, 768).toString('latin1'), 'P6\n1024 768\n255\n');
  const big = ppmHeader(99999, 99999);
  t.ok(big.length <= 20, 'largest header fits in the 20 bytes os-autoinst reads');
  const m = OS_AUTOINST_PPM_HEADER.exec(big.toString('latin1'));
  t.ok(m, 'matches the regex');
});

t.test('encode and parse', async (t) => {
  const rgb = Buffer.from(Array.from({ length: 3 * 2 * 3 }, (_, i) => i));
  const img = { width: 3, height: 2, rgb };
  const enc = encodePpm(img);
  t.equal(enc.length, 'P6\n3 2\n255\n'.length + 18);
  const [h, d] = ppmParts(img);
  t.same(Buffer.concat([h, d]), enc);
  const parsed = parsePpmLikeOsAutoinst(Buffer.concat([enc, enc]));
  t.ok(parsed);
  t.equal(parsed!.width, 3);
  t.equal(parsed!.height, 2);
  t.same(parsed!.rgb, rgb);
  t.equal(parsed!.length, enc.length);
  t.equal(parsePpmLikeOsAutoinst(enc.subarray(0, enc.length - 1)), null, 'incomplete frame → null');
  t.throws(() => parsePpmLikeOsAutoinst(Buffer.from('P6\n# comment\n3 2\n255\n' + 'x'.repeat(18))), /Invalid PPM header/);
  t.throws(() => parsePpmLikeOsAutoinst(Buffer.from('P6 3 2 255\n' + 'x'.repeat(30))), /Invalid PPM header/);
});
