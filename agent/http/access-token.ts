/**
 * The access token of a TCP listener reachable from the network (`http.token`, `http.token_file`).
 * Every route needs it except the kickstart files: an installer fetching `inst.ks=URL` cannot log
 * in, and those routes serve rendered templates only, never status or pictures.
 *
 * The token comes as `Authorization: Bearer T` or, for clients that only take a URL (ffmpeg,
 * os-autoinst's generalhw video command), as `?token=T`. Both sides are hashed before the
 * constant-time comparison, so neither the token's length nor its bytes leak through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/** Paths served without the token (agent/kickstart/router.ts). */
const OPEN_PATH = /^\/(?:ks\.cfg|ks\/[^/]*)$/;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function offeredToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  const bearer = header === undefined ? undefined : /^Bearer +(\S+)\s*$/i.exec(header)?.[1];
  return bearer ?? url.searchParams.get('token') ?? undefined;
}

/** `handler` behind the token; requests without it get 401 and never reach the app. */
export function requireToken(token: string, handler: RequestListener): RequestListener {
  const expected = digest(token);
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    if (OPEN_PATH.test(url.pathname)) return handler(req, res);
    const offered = offeredToken(req, url);
    if (offered !== undefined && timingSafeEqual(digest(offered), expected)) return handler(req, res);
    res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Bearer', 'Cache-Control': 'no-store' });
    res.end('this address needs the access token (http.token): Authorization: Bearer TOKEN or ?token=TOKEN\n');
  };
}
