/**
 * EDID files as the owner uses them: our configured EDID (hex text or binary, validated with the
 * EDID library before it reaches the receiver) and the receiver's original EDID, saved under the
 * run directory while we hold the device so that a restarted agent can still give it back.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AgentError, fromErrno } from '../../errors';
import { formatProblem, readEdidFile, validateEdid } from '../../edid';

/** The saved original EDID; its presence means "the receiver holds our EDID, restore this one". */
export const ORIGINAL_EDID_FILE = 'original-edid.bin';

/** Read an EDID file and refuse it, naming the file and the first error, unless it is valid. */
export async function loadEdidFile(file: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await fs.readFile(file);
  } catch (e) {
    throw fromErrno(e, `EDID file ${file}`);
  }
  const read = readEdidFile(data);
  if (read.error !== undefined) throw new AgentError('bad-argument', `EDID file ${file}: ${read.error}`);
  if (read.bytes.length === 0) throw new AgentError('bad-argument', `EDID file ${file} is empty`);
  const errors = validateEdid(read.bytes).filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    throw new AgentError('bad-argument', `EDID file ${file} is not a valid EDID: ${errors.map(formatProblem).join('; ')}`);
  }
  return Buffer.from(read.bytes);
}

/** The original EDID saved under the run directory. */
export class SavedEdid {
  readonly file: string;

  constructor(runDir: string) {
    this.file = path.join(runDir, ORIGINAL_EDID_FILE);
  }

  /** The saved bytes (possibly empty: the receiver had no EDID), or undefined if nothing is saved. */
  async read(): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fromErrno(e, `read ${this.file}`);
    }
  }

  /** Write atomically (temporary file + rename), so a crash never leaves half an EDID behind. */
  async write(edid: Buffer): Promise<void> {
    const tmp = `${this.file}.tmp`;
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await fs.writeFile(tmp, edid);
      await fs.rename(tmp, this.file);
    } catch (e) {
      throw fromErrno(e, `save original EDID to ${this.file}`);
    }
  }

  async remove(): Promise<void> {
    try {
      await fs.rm(this.file, { force: true });
    } catch (e) {
      throw fromErrno(e, `remove ${this.file}`);
    }
  }
}
