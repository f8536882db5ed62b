/**
 * Minimal structured logger: one line per event, `LEVEL component: message key=value…`, to stderr
 * (journald adds the time stamp). Components get a child logger; tests pass a recording sink.
 * When stderr is journald's stream, each line starts with its syslog priority `<N>`, which journald
 * strips and stores as PRIORITY= (systemd.exec(5) SyslogLevelPrefix=, on by default), so
 * `journalctl -p warning` and the colouring work.
 */
import { fstatSync } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** syslog priorities, as sd-daemon.h's SD_DEBUG "<7>", SD_INFO "<6>", SD_WARNING "<4>", SD_ERR "<3>". */
const PRIORITY: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };

type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface LogRecord {
  level: LogLevel;
  component: string;
  message: string;
  fields: LogFields;
}

export type LogSink = (record: LogRecord) => void;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(component: string): Logger;
}

function formatValue(v: string | number | boolean | null | undefined): string {
  const s = String(v);
  return /^[\w./:@+-]*$/.test(s) && s !== '' ? s : JSON.stringify(s);
}

function formatRecord(r: LogRecord): string {
  const fields = Object.entries(r.fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}=${formatValue(v)}`)
    .join('');
  return `${r.level.toUpperCase()} ${r.component}: ${r.message}${fields}`;
}

/** The record as journald's stream reads it: `<N>` syslog priority, then the line. */
export function formatJournalRecord(r: LogRecord): string {
  return `<${PRIORITY[r.level]}>${formatRecord(r)}`;
}

/**
 * True when `fd` is the stream systemd connected to journald: it sets `JOURNAL_STREAM` to that
 * stream's `<device>:<inode>` (systemd.exec(5)), and the variable is inherited by children whose
 * stderr may be a terminal or a pipe, so the descriptor itself must match.
 */
export function isJournalStream(journalStream: string | undefined, fd: number): boolean {
  if (!journalStream) return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return journalStream === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

/** A sink writing one line per record to `fd` (stderr), `<N>`-prefixed when it is journald's stream. */
export function stderrSinkFor(
  env: NodeJS.ProcessEnv,
  fd = 2,
  write: (line: string) => void = (line) => process.stderr.write(line),
): LogSink {
  const format = isJournalStream(env.JOURNAL_STREAM, fd) ? formatJournalRecord : formatRecord;
  return (r) => write(format(r) + '\n');
}

let processSink: LogSink | undefined;

/** The process's stderr sink (whether stderr is the journal is decided on the first record). */
export const stderrSink: LogSink = (r) => {
  processSink ??= stderrSinkFor(process.env);
  processSink(r);
};

export function createLogger(component: string, sink: LogSink = stderrSink, level: LogLevel = 'info'): Logger {
  const emit = (l: LogLevel, message: string, fields: LogFields = {}) => {
    if (RANK[l] >= RANK[level]) sink({ level: l, component, message, fields });
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (c) => createLogger(`${component}.${c}`, sink, level),
  };
}

/** A logger that keeps its records, for tests. */
export function recordingLogger(component = 'test'): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = createLogger(component, (r) => records.push(r), 'debug');
  return Object.assign(logger, { records });
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger('silent', () => undefined);
