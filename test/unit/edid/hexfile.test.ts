import t from 'tap';
import { makeEdid } from '../../../agent/edid/generate';
import { readEdidFile, toHexText } from '../../../agent/edid/hexfile';
import { runTool } from './fixtures/tools';

const edid = makeEdid({ width: 1280, height: 1024 }).bytes;

t.test('hex text is PiKVM style: 16 upper-case bytes per line, nothing else', async (t) => {
  const text = toHexText(edid);
  const lines = text.split('\n');
  t.equal(lines.pop(), '', 'ends with a newline');
  t.equal(lines.length, 8);
  for (const line of lines) t.match(line, /^[0-9A-F]{32}$/);
  t.same(Buffer.from(lines.join(''), 'hex'), Buffer.from(edid));
});

t.test('reads binary, hex text variants and tool dumps back to the same bytes', async (t) => {
  const hex = toHexText(edid);
  const pairs = Array.from(edid, (b) => b.toString(16).padStart(2, '0'));
  const variants: Record<string, string | Uint8Array> = {
    binary: edid,
    pikvm: hex,
    'crlf lower case': hex.toLowerCase().replace(/\n/g, '\r\n'),
    'spaced (v4l2-ctl --get-edid)': pairs.map((p, i) => p + ((i + 1) % 16 === 0 ? '\n' : ' ')).join('') + 'Block has a checksum error\n',
    'c array': pairs.map((p) => `0x${p},`).join(' '),
    'one line': pairs.join(''),
    'edid-decode dump': runTool('edid-decode', ['-'], edid).stdout,
  };
  for (const [name, content] of Object.entries(variants)) {
    const data = typeof content === 'string' ? Buffer.from(content, 'latin1') : content;
    const read = readEdidFile(data);
    t.equal(read.error, undefined, `${name} reads`);
    t.same(Buffer.from(read.bytes), Buffer.from(edid), name);
    t.equal(read.format, name === 'binary' ? 'bin' : 'hex');
  }
});

t.test('edid-decode reads our hex text as the same EDID', async (t) => {
  const r = runTool('edid-decode', ['-o', 'raw', '-', '-'], Buffer.from(toHexText(edid)));
  t.same(Buffer.from(r.stdout, 'latin1'), Buffer.from(edid));
});

t.test('text that is not hex is refused with the line number', async (t) => {
  const read = readEdidFile(Buffer.from('hello world\n00 ff\n'));
  t.same(read.bytes.length, 0);
  t.match(read.error, /line 1/);
});
