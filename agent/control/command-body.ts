/**
 * The body of `kickstart set NAME` while its lines arrive (up to the `.` line). The bytes go into
 * one buffer bounded by `maxBytes`: a body of 100,000 one-character lines costs its bytes, not
 * 100,000 strings. Past the bound the bytes are dropped and only the problem is kept, so the
 * command still gets its one reply after the `.` line.
 */
import { AgentError } from '../errors';

export class CommandBody {
  private bytes = Buffer.alloc(0);
  private length = 0;
  private problem: string | null = null;

  constructor(
    readonly name: string,
    private readonly maxBytes: number,
    /** The setting that bounds it, named in the refusal. */
    private readonly limitKey = '',
  ) {}

  /** Append one (already unstuffed) body line. */
  addLine(line: string): void {
    if (this.problem) return;
    const size = Buffer.byteLength(line) + 1;
    if (this.length + size > this.maxBytes) return this.refuse(`the body exceeds ${this.maxBytes} bytes${this.limitKey ? ` (${this.limitKey})` : ''}`);
    if (this.length + size > this.bytes.length) {
      const grown = Buffer.alloc(Math.min(this.maxBytes, Math.max(2 * this.bytes.length, this.length + size, 4096)));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    this.length += this.bytes.write(line, this.length);
    this.bytes[this.length++] = 0x0a;
  }

  /** Record a problem (an overlong body line); the first one is reported. */
  refuse(problem: string): void {
    this.problem ??= problem;
    this.bytes = Buffer.alloc(0);
    this.length = 0;
  }

  /** The body text, or throws the first problem as `too-long`. */
  text(): string {
    if (this.problem) throw new AgentError('too-long', this.problem);
    return this.bytes.toString('utf8', 0, this.length);
  }
}
