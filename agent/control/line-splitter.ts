/**
 * Splits a byte stream into lines of at most `maxLine` bytes. A line may end in LF or CRLF.
 * An overlong line is reported once as `too-long` (its bytes are discarded up to the next LF), so
 * the connection stays usable and the reply count still matches the line count.
 *
 * Lines are taken out one at a time (`next`), as the connection executes them: received input
 * stays raw bytes until then, so the memory a connection holds is its unread byte count
 * (`unread`), which the connection bounds by pausing its socket, not a list of parsed lines.
 */
export type SplitItem = { kind: 'line'; text: string } | { kind: 'too-long'; length: number };

/** What was left after the last LF when the input ended: a line the client never finished. */
export interface IncompleteLine {
  /** Its length in bytes (CR included). */
  length: number;
  /** Its start, for the log (at most 40 characters; empty for an overlong line). */
  preview: string;
}

const PREVIEW_CHARS = 40;

export class LineSplitter {
  /** Received chunks not scanned yet; the first from `offset` on. */
  private chunks: Buffer[] = [];
  private offset = 0;
  private unscanned = 0;
  /** The current line's bytes scanned so far (within bounds). */
  private parts: Buffer[] = [];
  private pending = 0;
  /** Bytes of the current overlong line seen so far, or -1 while the line is within bounds. */
  private discarding = -1;
  private lastByte = 0x0a;

  constructor(private readonly maxLine: number) {}

  /** Add received bytes; lines are taken out with `next`. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.unscanned += chunk.length;
    this.lastByte = chunk[chunk.length - 1]!;
  }

  /** Bytes received and not yet scanned for lines (a started line's bytes are bounded by `maxLine`). */
  get unread(): number {
    return this.unscanned;
  }

  /** Whether the input so far ends inside a line (bytes after the last LF). */
  get midLine(): boolean {
    return this.lastByte !== 0x0a;
  }

  /** The next complete line, or null when the input so far holds none. */
  next(): SplitItem | null {
    while (this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      const nl = chunk.indexOf(0x0a, this.offset);
      const end = nl === -1 ? chunk.length : nl;
      // The tail of a chunk waits for the rest of its line: a copy, so the chunk can be released.
      this.take(chunk.subarray(this.offset, end), nl === -1);
      this.unscanned -= end - this.offset;
      if (nl === -1 || nl === chunk.length - 1) {
        this.chunks.shift();
        this.offset = 0;
      } else this.offset = nl + 1;
      if (nl !== -1) {
        this.unscanned -= 1;
        return this.finishLine();
      }
    }
    return null;
  }

  /**
   * At end of input, once `next` returned null: the unterminated rest, or null when the input
   * ended on a line boundary. The rest is never a line: a cut `cmd rm -rf /srv/old` must not run.
   */
  rest(): IncompleteLine | null {
    if (this.pending === 0 && this.discarding < 0) return null;
    const incomplete: IncompleteLine =
      this.discarding >= 0
        ? { length: this.discarding, preview: '' }
        : { length: this.pending, preview: Buffer.concat(this.parts, this.pending).toString('utf8').slice(0, PREVIEW_CHARS) };
    this.parts = [];
    this.pending = 0;
    this.discarding = -1;
    return incomplete;
  }

  private take(bytes: Buffer, copy: boolean): void {
    if (bytes.length === 0) return;
    if (this.discarding >= 0) {
      this.discarding += bytes.length;
      return;
    }
    // +1 leaves room for a CR that belongs to a CRLF terminator.
    if (this.pending + bytes.length > this.maxLine + 1) {
      this.discarding = this.pending + bytes.length;
      this.parts = [];
      this.pending = 0;
      return;
    }
    this.parts.push(copy ? Buffer.from(bytes) : bytes);
    this.pending += bytes.length;
  }

  private finishLine(): SplitItem {
    if (this.discarding >= 0) {
      const length = this.discarding;
      this.discarding = -1;
      return { kind: 'too-long', length };
    }
    let line = Buffer.concat(this.parts, this.pending);
    this.parts = [];
    this.pending = 0;
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if (line.length > this.maxLine) return { kind: 'too-long', length: line.length };
    return { kind: 'line', text: line.toString('utf8') };
  }
}
