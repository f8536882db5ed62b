/**
 * The kickstart template language: one construct, nothing else.
 *
 *   {{ name }}   replaced by the variable `name` ([A-Za-z_][A-Za-z0-9_]*; spaces inside optional)
 *   {{{{         a literal `{{` (so `{{{{ name }}` renders as the text `{{ name }}`)
 *
 * Why this syntax: kickstart files carry shell in %pre/%post, full of `$VAR`, `${VAR}`, `${VAR:-x}`,
 * `$(cmd)` and `%{...}` (rpm macros); none of them contains `{{`, so templates stay verbatim copies of
 * working kickstarts plus a few placeholders. Any other `{{` is a syntax error (with line and column)
 * rather than silently emitted text, and a variable without a value is an error at render time rather
 * than an empty string: an installer fed a half-rendered file fails much later and much less clearly.
 */
import { AgentError } from '../errors';

export class TemplateSyntaxError extends AgentError {
  constructor(
    readonly line: number,
    readonly column: number,
    detail: string,
  ) {
    super('bad-argument', `template syntax error at line ${line}, column ${column}: ${detail}`);
    this.name = 'TemplateSyntaxError';
  }
}

export class UndefinedVariableError extends AgentError {
  constructor(readonly names: string[]) {
    super('not-found', `undefined template variable${names.length > 1 ? 's' : ''}: ${names.join(', ')}`);
    this.name = 'UndefinedVariableError';
  }
}

export type Segment = { kind: 'text'; text: string } | { kind: 'var'; name: string };

const PLACEHOLDER = /\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}/y;

function position(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}

/** Split a template into literal text and variable references; throws TemplateSyntaxError. */
export function parseTemplate(text: string): Segment[] {
  const segments: Segment[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, open);
    if (text.startsWith('{{{{', open)) {
      literal += '{{';
      i = open + 4;
      continue;
    }
    PLACEHOLDER.lastIndex = open;
    const m = PLACEHOLDER.exec(text);
    if (!m) {
      const { line, column } = position(text, open);
      const shown = JSON.stringify(text.slice(open, open + 24).split('\n')[0]);
      throw new TemplateSyntaxError(line, column, `${shown} is not a {{ name }} placeholder (write {{{{ for a literal {{)`);
    }
    if (literal !== '') segments.push({ kind: 'text', text: literal });
    literal = '';
    segments.push({ kind: 'var', name: m[1]! });
    i = open + m[0].length;
  }
  if (literal !== '') segments.push({ kind: 'text', text: literal });
  return segments;
}

/** The variable names a template uses, each once, in order of first use. */
export function templateVariables(text: string): string[] {
  return [...new Set(parseTemplate(text).flatMap((s) => (s.kind === 'var' ? [s.name] : [])))];
}

/**
 * Render `text` with `vars`. Throws TemplateSyntaxError, or UndefinedVariableError listing every
 * variable used but not defined (all of them at once, not just the first).
 */
export function renderTemplate(text: string, vars: Readonly<Record<string, string | undefined>>): string {
  const segments = parseTemplate(text);
  const value = (name: string) => (Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined);
  const missing = [...new Set(segments.flatMap((s) => (s.kind === 'var' && value(s.name) === undefined ? [s.name] : [])))];
  if (missing.length > 0) throw new UndefinedVariableError(missing);
  return segments.map((s) => (s.kind === 'text' ? s.text : value(s.name)!)).join('');
}
