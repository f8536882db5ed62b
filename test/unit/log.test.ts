/**
 * Log lines carry their syslog priority when stderr is journald's stream (JOURNAL_STREAM names its
 * device:inode), and only then. The descriptor is a real file here, so the check runs fstat(2).
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { createLogger, formatJournalRecord, isJournalStream, stderrSinkFor } from '../../agent/log';

async function openScratchFile(t: Test): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), 'log-'));
  const fd = openSync(path.join(dir, 'stderr'), 'w');
  t.teardown(async () => {
    closeSync(fd);
    await rm(dir, { recursive: true, force: true });
  });
  return fd;
}

function streamOf(fd: number): string {
  const st = fstatSync(fd, { bigint: true });
  return `${st.dev}:${st.ino}`;
}

t.test('each level gets its syslog priority', async (t) => {
  const record = { component: 'agent', message: 'up', fields: { port: 8780 } };
  t.equal(formatJournalRecord({ ...record, level: 'error' }), '<3>ERROR agent: up port=8780');
  t.equal(formatJournalRecord({ ...record, level: 'warn' }), '<4>WARN agent: up port=8780');
  t.equal(formatJournalRecord({ ...record, level: 'info' }), '<6>INFO agent: up port=8780');
  t.equal(formatJournalRecord({ ...record, level: 'debug' }), '<7>DEBUG agent: up port=8780');
});

t.test('stderr that is the journal stream gets <N> prefixes', async (t) => {
  const fd = await openScratchFile(t);
  const lines: string[] = [];
  const log = createLogger('agent', stderrSinkFor({ JOURNAL_STREAM: streamOf(fd) }, fd, (l) => lines.push(l)), 'debug');
  log.error('cannot open', { path: '/dev/video0' });
  log.warn('retrying');
  log.info('ready');
  log.child('hid').debug('report');
  t.strictSame(lines, [
    '<3>ERROR agent: cannot open path=/dev/video0\n',
    '<4>WARN agent: retrying\n',
    '<6>INFO agent: ready\n',
    '<7>DEBUG agent.hid: report\n',
  ]);
});

t.test('no prefix without JOURNAL_STREAM, or when it names another stream', async (t) => {
  const fd = await openScratchFile(t);
  const other = await openScratchFile(t);
  t.equal(isJournalStream(streamOf(fd), fd), true);
  t.equal(isJournalStream(undefined, fd), false);
  t.equal(isJournalStream('', fd), false);
  t.equal(isJournalStream(streamOf(other), fd), false, 'inherited by a child whose stderr is elsewhere');
  t.equal(isJournalStream('garbage', fd), false);
  t.equal(isJournalStream(streamOf(fd), 987654), false, 'a closed descriptor is not the journal');
  for (const env of [{}, { JOURNAL_STREAM: streamOf(other) }]) {
    const lines: string[] = [];
    createLogger('agent', stderrSinkFor(env, fd, (l) => lines.push(l))).warn('retrying');
    t.strictSame(lines, ['WARN agent: retrying\n']);
  }
});
