/** Test helper: a fresh directory under the system's temp dir, removed at the test's teardown. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';

export async function tempDir(t: Test, prefix = 'pikvm-agent-test-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}
