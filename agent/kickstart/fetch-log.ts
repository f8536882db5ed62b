/**
 * The last kickstart fetches, newest last, bounded: answers "did the installer fetch it?" in the
 * status output without growing with every request.
 */
export interface FetchEntry {
  /** ISO time of the request. */
  time: string;
  /** The installer's address, as seen directly or reported by nginx; null when unknown. */
  client: string | null;
  /** The template name asked for (as requested, cut to 64 characters). */
  template: string;
  /** HTTP status answered. */
  status: number;
  /** Bytes of the rendered body (successful fetches only). */
  bytes?: number;
  /** Why it failed (failed fetches only). */
  error?: string;
}

export class FetchLog {
  private readonly items: FetchEntry[] = [];

  constructor(readonly capacity = 50) {}

  record(entry: FetchEntry): void {
    this.items.push(entry);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /** A copy of the kept entries, oldest first. */
  entries(): FetchEntry[] {
    return this.items.map((e) => ({ ...e }));
  }
}
