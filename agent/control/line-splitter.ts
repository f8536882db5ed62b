/**
 * Splits a byte stream into lines of at most `maxLine` bytes. A line may end in LF or CRLF.
 * An overlong line is reported once as `too-long` (its bytes are discarded up to the next LF), so
 * the connection stays usable and the reply count still matches the line count.
 */
export type SplitItem = { kind: 'line'; text: string } | { kind: 'too-long'; length: number };

export class LineSplitter {
  private parts: Buffer[] = [];
  private pending = 0;
  /** Bytes of the current overlong line seen so far, or -1 while the line is within bounds. */
  private discarding = -1;

  constructor(private readonly maxLine: number) {}

  /** Feed a chunk; returns the complete items it finished, in order. */
  push(chunk: Buffer): SplitItem[] {
    const items: SplitItem[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      this.take(chunk.subarray(start, end));
      if (nl === -1) break;
      items.push(this.finishLine());
      start = nl + 1;
    }
    return items;
  }

  /** At end of input: a final unterminated line still counts as a line. */
  end(): SplitItem[] {
    if (this.pending === 0 && this.discarding < 0 && this.parts.length === 0) return [];
    return [this.finishLine()];
  }

  private take(bytes: Buffer): void {
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
    this.parts.push(bytes);
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
