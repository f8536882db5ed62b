import t from 'tap';
import { LineSplitter, type SplitItem } from '../../../agent/control/line-splitter';

const lines = (items: SplitItem[]) => items.map((i) => (i.kind === 'line' ? i.text : `<too-long ${i.length}>`));

t.test('LF and CRLF, split across chunks', async (t) => {
  const s = new LineSplitter(16);
  t.same(lines(s.push(Buffer.from('a\r\nb'))), ['a']);
  t.same(lines(s.push(Buffer.from('c\nd\r'))), ['bc']);
  t.same(lines(s.push(Buffer.from('\n\n'))), ['d', '']);
  t.same(lines(s.end()), []);
});

t.test('an unterminated last line still counts at end of input', async (t) => {
  const s = new LineSplitter(16);
  t.same(lines(s.push(Buffer.from('x\ny'))), ['x']);
  t.same(lines(s.end()), ['y']);
});

t.test('a line exactly at the limit passes; one byte more is too long, once', async (t) => {
  const s = new LineSplitter(4);
  t.same(lines(s.push(Buffer.from('abcd\nabcd\r\nabcde\n'))), ['abcd', 'abcd', '<too-long 5>']);
  const items = [...s.push(Buffer.alloc(10, 0x41)), ...s.push(Buffer.alloc(10, 0x41)), ...s.push(Buffer.from('A\nok\n'))];
  t.same(lines(items), ['<too-long 21>', 'ok']);
});

t.test('multi-byte UTF-8 split between chunks is reassembled', async (t) => {
  const s = new LineSplitter(64);
  const bytes = Buffer.from('type ü€\n');
  const out = [...s.push(bytes.subarray(0, 6)), ...s.push(bytes.subarray(6))];
  t.same(lines(out), ['type ü€']);
});
