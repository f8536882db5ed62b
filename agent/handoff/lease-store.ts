/**
 * The lease record on disk: what the agent took from kvmd and must give back. It lives in the run
 * directory (tmpfs): it survives an agent crash or `kill -9` — so the restarted agent gives the
 * devices back — but not a reboot, after which kvmd starts normally and our gadget is gone anyway.
 *
 * Written atomically (temp file in the same directory, fsync, rename) after every step of an acquire
 * or release, so a crash at any instant leaves either the previous or the next complete record.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AgentError, errnoOf, fromErrno } from '../errors';

export type LeasePhase = 'acquiring' | 'held' | 'releasing';

export interface LeaseRecord {
  version: 1;
  phase: LeasePhase;
  holder: string;
  /** When the acquire began, ms since the epoch. */
  since: number;
  cooperativeVideo: boolean;
  /** Units we stopped (or were stopping), in stop order; release starts them in reverse. */
  stoppedServices: string[];
  /** Take-over steps begun, in order; release gives them back in reverse. */
  takenSteps: string[];
}

export const LEASE_FILE_NAME = 'lease.json';

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/** Parse and check a record; throws `io` on anything that is not one. */
export function parseLeaseRecord(text: string): LeaseRecord {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new AgentError('io', `lease file is not JSON: ${(e as Error).message}`);
  }
  const ok =
    v !== null &&
    typeof v === 'object' &&
    v.version === 1 &&
    (v.phase === 'acquiring' || v.phase === 'held' || v.phase === 'releasing') &&
    typeof v.holder === 'string' &&
    typeof v.since === 'number' &&
    typeof v.cooperativeVideo === 'boolean' &&
    isStringArray(v.stoppedServices) &&
    isStringArray(v.takenSteps);
  if (!ok) throw new AgentError('io', 'lease file does not hold a lease record');
  return v as unknown as LeaseRecord;
}

export class LeaseStore {
  constructor(readonly file: string) {}

  /** The record on disk; null when there is none. Throws `io` when the file is unreadable garbage. */
  async load(): Promise<LeaseRecord | null> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return null;
      throw fromErrno(e, `reading ${this.file}`);
    }
    return parseLeaseRecord(text);
  }

  async save(record: LeaseRecord): Promise<void> {
    const dir = path.dirname(this.file);
    const temp = path.join(dir, `.${path.basename(this.file)}.${process.pid}.tmp`);
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o755 });
      const handle = await fs.open(temp, 'w', 0o600);
      try {
        await handle.writeFile(JSON.stringify(record, null, 2) + '\n', 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, this.file);
    } catch (e) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw fromErrno(e, `writing ${this.file}`);
    }
  }

  async remove(): Promise<void> {
    try {
      await fs.unlink(this.file);
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw fromErrno(e, `removing ${this.file}`);
    }
  }
}
