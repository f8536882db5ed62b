/**
 * Minimal structured logger: one line per event, `LEVEL component: message key=value…`, to stderr
 * (journald adds the time stamp). Components get a child logger; tests pass a recording sink.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

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

export function formatRecord(r: LogRecord): string {
  const fields = Object.entries(r.fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}=${formatValue(v)}`)
    .join('');
  return `${r.level.toUpperCase()} ${r.component}: ${r.message}${fields}`;
}

export const stderrSink: LogSink = (r) => {
  process.stderr.write(formatRecord(r) + '\n');
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
