/**
 * Frames from PiKVM's own streamer, for cooperative mode (`handoff.cooperative_video`): kvmd keeps
 * the capture device and its ustreamer, and we read `GET /snapshot` from ustreamer's unix socket
 * (`video.ustreamer_socket`) at the demanded rate, decoding the JPEG with sharp.
 *
 * ustreamer answers every snapshot with the latest JPEG and headers saying what it is
 * (src/ustreamer/http/server.c, `_http_callback_snapshot`; kvmd reads the same ones in
 * kvmd/apps/kvmd/streamer.py `take_snapshot`): `X-UStreamer-Online: true|false` (false: the picture
 * is ustreamer's own "NO SIGNAL" placeholder, which we do not pass on — the hub renders ours),
 * `X-UStreamer-Width`, `X-UStreamer-Height`.
 *
 * ustreamer runs only while kvmd wants it, so an unreachable socket is normal: `no-device`, logged
 * once, retried with a doubling backoff. At demand 0 the snapshot is fetched once a second for its
 * headers only (the signal state stays current; nothing is decoded).
 */
import http from 'node:http';
import { describe } from '../../errors';
import { decodeMjpeg } from '../convert';
import type { Frame } from '../frame';
import { SignalledSource, type SignalledSourceOptions } from './signalled-source';

export interface UstreamerSourceOptions extends SignalledSourceOptions {
  /** ustreamer's unix socket (`--unix`) */
  socketPath: string;
  /** bound of one request */
  requestTimeoutMs?: number;
  /** first retry delay after a failure, doubled up to `maxBackoffMs` */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** how often the signal state is refreshed while nobody wants frames */
  idlePollMs?: number;
}

/** A 1920×1080 JPEG is a few hundred kB; anything far larger is not a snapshot. */
const MAX_SNAPSHOT_BYTES = 32 * 1024 * 1024;

interface Snapshot {
  status: number;
  online: boolean;
  width: number;
  height: number;
  body: Buffer;
}

export class UstreamerSource extends SignalledSource {
  private readonly socketPath: string;
  private readonly requestTimeoutMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly idlePollMs: number;
  private loop: Promise<void> | undefined;
  private demand = 0;
  private sequence = 0;
  private lastProblem = '';
  /** snapshots fetched and frames decoded so far */
  readonly counters = { fetched: 0, decoded: 0, failures: 0 };

  constructor(options: UstreamerSourceOptions) {
    super('ustreamer', options);
    this.socketPath = options.socketPath;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 2000;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.idlePollMs = options.idlePollMs ?? 1000;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.emit('state', { ...this.signal });
    this.loop = this.run().finally(() => (this.loop = undefined));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  setDemand(fps: number): void {
    const wasIdle = this.demand === 0;
    this.demand = Math.max(0, fps);
    if (wasIdle && this.demand > 0) this.wake();
  }

  private async run(): Promise<void> {
    let backoff = this.backoffMs;
    while (this.running) {
      const started = this.now();
      const decode = this.demand > 0;
      let delay: number;
      try {
        const snap = await this.fetchSnapshot();
        this.counters.fetched++;
        await this.accept(snap, decode);
        this.lastProblem = '';
        backoff = this.backoffMs;
        delay = decode ? 1000 / this.demand - (this.now() - started) : this.idlePollMs;
      } catch (e) {
        this.counters.failures++;
        const problem = describe(e);
        if (problem !== this.lastProblem) this.log.warn('ustreamer unreachable; retrying', { socket: this.socketPath, error: problem });
        this.lastProblem = problem;
        this.setSignal({ online: false, reason: 'no-device' });
        delay = backoff;
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
      }
      await this.sleep(Math.max(0, delay));
    }
  }

  private async accept(snap: Snapshot, decode: boolean): Promise<void> {
    if (snap.status !== 200) {
      // ustreamer answers 503 before its first frame; kvmd treats any non-200 as "no snapshot".
      this.setSignal({ online: false, reason: 'no-signal' });
      return;
    }
    if (!snap.online) {
      this.setSignal({ online: false, reason: 'no-signal', width: snap.width, height: snap.height });
      return;
    }
    if (!decode) {
      this.setSignal({ online: true, width: snap.width, height: snap.height });
      return;
    }
    const t = this.now();
    const image = await decodeMjpeg(snap.body);
    this.counters.decoded++;
    this.setSignal({ online: true, width: image.width, height: image.height });
    const frame: Frame = { width: image.width, height: image.height, rgb: image.rgb, sequence: this.sequence++, capturedAt: t, online: true };
    if (this.running) this.emit('frame', frame);
  }

  private fetchSnapshot(): Promise<Snapshot> {
    return new Promise((resolve, reject) => {
      const req = http.get({ socketPath: this.socketPath, path: '/snapshot', timeout: this.requestTimeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_SNAPSHOT_BYTES) req.destroy(new Error(`snapshot larger than ${MAX_SNAPSHOT_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            online: res.headers['x-ustreamer-online'] === 'true',
            width: Number(res.headers['x-ustreamer-width']) || 0,
            height: Number(res.headers['x-ustreamer-height']) || 0,
            body: Buffer.concat(chunks),
          }),
        );
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.requestTimeoutMs} ms`)));
      req.on('error', reject);
    });
  }

}
