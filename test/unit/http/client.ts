/**
 * Small HTTP client helpers for the tests (node:http, so streams can be cut at will).
 */
import http from 'node:http';
import { parsePpmLikeOsAutoinst, type ParsedPpm } from '../../../agent/video/ppm';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function get(url: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Read `count` PPM frames from a stream URL (os-autoinst header rule), then hang up. */
export function readPpmFrames(url: string, count: number, timeoutMs = 10000): Promise<{ frames: ParsedPpm[]; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let buf = Buffer.alloc(0);
      const frames: ParsedPpm[] = [];
      res.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        try {
          for (let f = parsePpmLikeOsAutoinst(buf); f; f = parsePpmLikeOsAutoinst(buf)) {
            frames.push({ ...f, rgb: Buffer.from(f.rgb) });
            buf = buf.subarray(f.length);
            if (frames.length === count) {
              clearTimeout(timer);
              req.destroy();
              resolve({ frames, headers: res.headers });
              return;
            }
          }
        } catch (e) {
          req.destroy();
          reject(e);
        }
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`fewer than ${count} frames within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) => {
      if (!req.destroyed) reject(e);
    });
  });
}

/** Poll `cond` every 10 ms until true or `timeoutMs` (a bound against hangs, not a timing check). */
export async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}
