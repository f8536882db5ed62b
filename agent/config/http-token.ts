/**
 * The access token of the HTTP TCP listener: `http.token`, or the first line of `http.token_file`
 * (a file readable by the agent only, so the token is not in a world-readable config).
 */
import { readFile } from 'node:fs/promises';
import { describe } from '../errors';
import { ConfigError } from './errors';
import type { AgentConfig } from './schema';

/** What `?token=` carries without escaping. */
export const TOKEN = /^[A-Za-z0-9._~-]{1,256}$/;

/** '' when neither key is set; throws ConfigError naming the file and key otherwise. */
export async function httpToken(http: AgentConfig['http'], read = (p: string) => readFile(p, 'utf8')): Promise<string> {
  if (http.token_file === '') return http.token;
  let text: string;
  try {
    text = await read(http.token_file);
  } catch (e) {
    throw new ConfigError(http.token_file, 'http.token_file', `cannot read: ${describe(e)}`);
  }
  const token = (text.split('\n')[0] ?? '').trim();
  if (!TOKEN.test(token)) {
    throw new ConfigError(http.token_file, 'http.token_file', 'the first line must be the token: 1..256 letters, digits, . _ ~ -');
  }
  return token;
}
