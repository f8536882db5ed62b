import t from 'tap';
import { LineSplitter, type SplitItem } from '../../../agent/control/line-splitter';

const show = (i: SplitItem) => (i.kind === 'line' ? i.text : `<too-long ${i.length}>`);

/** Push the chunks, then take out every complete line. */
function lines(s: LineSplitter, ...chunks: Array<string | Buffer>): string[] {
  for (const c of chunks) s.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  const out: string[] = [];
  for (let item = s.next(); item !== null; item = s.next()) out.push(show(item));
  return out;
}

t.test('LF and CRLF, split across chunks', async (t) => {
  const s = new LineSplitter(16);
  t.same(lines(s, 'a\r\nb'), ['a']);
  t.same(lines(s, 'c\nd\r'), ['bc']);
  t.same(lines(s, '\n\n'), ['d', '']);
  t.equal(s.rest(), null, 'the input ended on a line boundary');
});

t.test('lines are taken out one at a time; the rest stays unread bytes', async (t) => {
  const s = new LineSplitter(16);
  s.push(Buffer.from('one\ntwo\nthree\nfo'));
  t.equal(s.unread, 16);
  t.same(s.next(), { kind: 'line', text: 'one' });
  t.equal(s.unread, 12);
  t.same(lines(s), ['two', 'three']);
  t.equal(s.unread, 0, 'the started line is scanned, no longer unread');
  t.ok(s.midLine);
  t.same(lines(s, 'ur\n'), ['four']);
  t.notOk(s.midLine);
});

t.test('an unterminated last line is never a line: rest() reports it', async (t) => {
  const s = new LineSplitter(64);
  t.same(lines(s, 'cmd echo one\ncmd rm -rf /srv/o'), ['cmd echo one']);
  t.same(s.rest(), { length: 17, preview: 'cmd rm -rf /srv/o' });
  t.equal(s.rest(), null, 'reported once');
  const long = new LineSplitter(4);
  t.same(lines(long, 'abcdefgh'), []);
  t.same(long.rest(), { length: 8, preview: '' }, 'an overlong unfinished line is reported by length');
});

t.test('a line exactly at the limit passes; one byte more is too long, once', async (t) => {
  const s = new LineSplitter(4);
  t.same(lines(s, 'abcd\nabcd\r\nabcde\n'), ['abcd', 'abcd', '<too-long 5>']);
  t.same(lines(s, Buffer.alloc(10, 0x41), Buffer.alloc(10, 0x41), 'A\nok\n'), ['<too-long 21>', 'ok']);
});

t.test('multi-byte UTF-8 split between chunks is reassembled', async (t) => {
  const s = new LineSplitter(64);
  const bytes = Buffer.from('type ü€\n');
  t.same(lines(s, bytes.subarray(0, 6), bytes.subarray(6)), ['type ü€']);
});
