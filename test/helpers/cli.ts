/**
 * The compiled `pikvm-agent` executable (package.json `bin`, agent/deploy/layout.ts CLI_ENTRY) that
 * tests spawn, and one way to run it. Needs `npm run build` first.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { CLI_ENTRY } from '../../agent/deploy/layout';

// test/helpers when tap runs the .ts, dist/test/helpers when a compiled bench or e2e script imports it.
const HERE = path.resolve(__dirname, '../..');
export const REPO = path.basename(HERE) === 'dist' ? path.dirname(HERE) : HERE;
export const CLI = path.join(REPO, CLI_ENTRY);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `pikvm-agent ARGS…` to its end, with extra environment and stdin. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, stdin = ''): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.on('error', () => undefined); // a command that exits before reading stdin
  child.stdin.end(stdin);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
