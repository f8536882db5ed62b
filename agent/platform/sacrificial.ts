/**
 * Helper processes the agent spawns (systemctl during the hand-off, ffmpeg if ever needed) are
 * sacrificial: under memory pressure the kernel's OOM killer should pick them, never the agent,
 * which holds the SUT's keyboard and the kvmd hand-off (the QM mixed-criticality split the systemd
 * unit documents: the agent runs at OOMScoreAdjust=-800). Raising a child's `oom_score_adj` needs
 * no capability (proc(5): lowering it does).
 */
import { writeFile } from 'node:fs/promises';

export const SACRIFICIAL_OOM_SCORE_ADJ = 500;

/** Best effort: the child may already have exited. */
export async function makeSacrificial(pid: number | undefined, procRoot = '/proc'): Promise<boolean> {
  if (pid === undefined) return false;
  try {
    await writeFile(`${procRoot}/${pid}/oom_score_adj`, `${SACRIFICIAL_OOM_SCORE_ADJ}\n`);
    return true;
  } catch {
    return false;
  }
}
