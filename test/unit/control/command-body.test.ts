import t from 'tap';
import { CommandBody } from '../../../agent/control/command-body';

t.test('lines are joined with LF, each ended by one; an empty body is empty', async (t) => {
  const body = new CommandBody('ks', 1024);
  t.equal(body.text(), '');
  body.addLine('# ks');
  body.addLine('');
  body.addLine('%post ü');
  t.equal(body.text(), '# ks\n\n%post ü\n');
});

t.test('many tiny lines grow one buffer up to the bound; past it the body is refused, once', async (t) => {
  const body = new CommandBody('ks', 200_000);
  for (let i = 0; i < 100_000; i++) body.addLine('x');
  t.equal(body.text().length, 200_000, 'exactly at the bound');
  body.addLine('x');
  t.throws(() => body.text(), { code: 'too-long', message: 'the body exceeds 200000 bytes' });
  body.refuse('a later problem');
  t.throws(() => body.text(), { message: 'the body exceeds 200000 bytes' }, 'the first problem is reported');
});
