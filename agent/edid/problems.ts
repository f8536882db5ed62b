/**
 * What validation reports: one entry per problem, located by block and byte offset within it, so a
 * human can find it in a hex dump. Errors make an EDID unusable (sources reject or misread it);
 * warnings are deviations a source usually tolerates.
 */
import type { DetailedTiming } from './descriptors';

type ProblemSeverity = 'error' | 'warning';

export interface EdidProblem {
  severity: ProblemSeverity;
  /** Block number (0 = base block); for problems with the whole input, the block where it starts. */
  block: number;
  /** Byte offset within the block. */
  offset: number;
  message: string;
}

export class ProblemList {
  readonly items: EdidProblem[] = [];

  error(block: number, offset: number, message: string): void {
    this.items.push({ severity: 'error', block, offset, message });
  }

  warning(block: number, offset: number, message: string): void {
    this.items.push({ severity: 'warning', block, offset, message });
  }
}

export function hasErrors(problems: readonly EdidProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** `error block 0 @0x36: message` — the line `edid check` prints. */
export function formatProblem(p: EdidProblem): string {
  return `${p.severity} block ${p.block} @0x${p.offset.toString(16).padStart(2, '0')}: ${p.message}`;
}

/** Structural checks on a decoded detailed timing found at `offset` of `block`. */
export function checkDetailedTiming(dt: DetailedTiming, block: number, offset: number, problems: ProblemList): void {
  const t = dt.timing;
  if (t.hActive === 0 || t.vActive === 0) {
    problems.error(block, offset, `detailed timing has an empty active area (${t.hActive}x${t.vActive})`);
  }
  if (t.hBackPorch < 0) {
    problems.error(block, offset, `detailed timing: horizontal front porch + sync (${t.hFrontPorch + t.hSync}) exceed the blank`);
  }
  if (t.vBackPorch < 0) {
    problems.error(block, offset, `detailed timing: vertical front porch + sync (${t.vFrontPorch + t.vSync}) exceed the blank`);
  }
  if (t.hSync === 0 || t.vSync === 0) {
    problems.warning(block, offset, 'detailed timing has a zero-width sync pulse');
  }
  if (dt.syncType !== 3) {
    problems.warning(block, offset + 17, 'detailed timing does not use digital separate sync');
  }
}
