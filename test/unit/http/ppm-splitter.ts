/**
 * Splits a byte stream of PPM frames without quadratic copying (frames are megabytes, chunks are
 * 64 KiB): chunks are kept until a whole frame is present, then joined once and parsed with
 * os-autoinst's header rule.
 */
import { parsePpmLikeOsAutoinst, type ParsedPpm } from '../../../agent/video/ppm';

export class PpmSplitter {
  private chunks: Buffer[] = [];
  private total = 0;
  private needed = 20;

  /** Feed a chunk; returns the frames it completed. Throws on a header os-autoinst rejects. */
  push(chunk: Buffer): ParsedPpm[] {
    this.chunks.push(chunk);
    this.total += chunk.length;
    const out: ParsedPpm[] = [];
    while (this.total >= this.needed) {
      let buf = Buffer.concat(this.chunks, this.total);
      const frame = parsePpmLikeOsAutoinst(buf);
      if (!frame) {
        // the header is valid (else parse threw): wait for the whole frame
        const m = /^P6\n(\d+) (\d+)\n(\d+)\n/.exec(buf.subarray(0, 20).toString('latin1'));
        this.needed = m ? m[0].length + Number(m[1]) * Number(m[2]) * 3 : this.total + 1;
        this.chunks = [buf];
        break;
      }
      out.push({ ...frame, rgb: Buffer.from(frame.rgb) });
      buf = buf.subarray(frame.length);
      this.chunks = buf.length ? [buf] : [];
      this.total = buf.length;
      this.needed = 20;
    }
    return out;
  }
}
