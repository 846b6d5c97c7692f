// cluster/local/process-tree.test.ts — kill and pause reach every process of a node, children that left its group included.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { descendants, signalTree } from './process-tree.ts';

/** stateOf reads a process's state letter (R, S, T, Z …), or null once it is gone. */
function stateOf(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return null;
  }
}

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('signalTree', () => {
  it('stops, continues and kills a process and its descendants, even ones in their own session', async () => {
    // Like postgres backends: one child calls setsid, so a process-group signal would miss it.
    const root = spawn('sh', ['-c', 'sleep 300 & setsid sleep 301 & wait'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => root.once('exit', resolve));
    try {
      const pid = root.pid!;
      await until('two children', () => descendants(pid).length >= 2);
      const kids = descendants(pid);
      signalTree(pid, 'SIGSTOP');
      await until('all stopped', () => [pid, ...kids].every((p) => stateOf(p) === 'T'));
      signalTree(pid, 'SIGCONT');
      await until('all running', () => [pid, ...kids].every((p) => stateOf(p) !== 'T'));
      signalTree(pid, 'SIGKILL');
      await exited;
      await until('children gone', () => kids.every((p) => stateOf(p) === null || stateOf(p) === 'Z'));
    } finally {
      if (root.exitCode === null) signalTree(root.pid!, 'SIGKILL');
    }
  });

  it('finds no descendants of a process without children', () => {
    expect(descendants(process.pid).every((p) => p !== process.pid)).toBe(true);
    expect(descendants(2 ** 22 + 7)).toEqual([]);
  });
});
