// cluster/local/process-tree.ts — signal a node's whole process tree, not just the process we spawned.
//
// Some programs are many processes: PostgreSQL's postmaster forks a backend per connection,
// and each backend makes itself a session leader (setsid), so neither a process group nor
// the postmaster alone reaches them. A paused postmaster whose backends keep answering is not
// a pause, and a killed postmaster whose backends still hold its shared memory cannot restart.
// So kill and pause walk /proc for the descendants and signal every one of them.
import * as fs from 'node:fs';

/** DESCENDANTS_MAX bounds one walk (a fork bomb must not hang the nemesis). */
const DESCENDANTS_MAX = 10_000;

/** parentPids reads every live process's parent pid from /proc (empty where there is no /proc). */
function parentPids(): Map<number, number> {
  const parents = new Map<number, number>();
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return parents;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(name), Number(fields[1]));
    } catch {
      // exited while we looked
    }
  }
  return parents;
}

/** descendants lists every process below `pid` (children first seen, breadth first), not `pid` itself. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const [child, parent] of parentPids()) {
    const list = children.get(parent) ?? [];
    list.push(child);
    children.set(parent, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && out.length < DESCENDANTS_MAX) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * signalTree sends `sig` to `pid` and all its descendants. SIGSTOP and SIGKILL stop the root
 * first, so it forks no new child between the walk and the signal; SIGCONT wakes the
 * descendants first, so the root finds them running.
 */
export function signalTree(pid: number, sig: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): number[] {
  if (sig === 'SIGCONT') {
    const children = descendants(pid);
    for (const child of children) signal(child, sig);
    signal(pid, sig);
    return [pid, ...children];
  }
  signal(pid, 'SIGSTOP');
  const children = descendants(pid);
  for (const child of children) signal(child, sig);
  signal(pid, sig);
  return [pid, ...children];
}

/**
 * isGone: no such process, or a zombie (dead; only its pid waits for whoever adopted it to reap
 * it). Without /proc, signal 0 answers, and a zombie then counts as alive.
 */
export function isGone(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    // no /proc entry: gone, or no /proc at all
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

const GONE_POLL_MS = 20;
/** AFTER_KILL_MS bounds the wait for SIGKILLed processes to die (they cannot refuse; they may be slow under load). */
const AFTER_KILL_MS = 5_000;

/**
 * waitGone resolves once every pid is gone. A node's root can exit before its children do (a
 * shell whose trap forwarded SIGTERM; redis-server's save child): what is still there after
 * graceMs is SIGKILLed, so a stopped node leaves no process behind.
 */
export async function waitGone(pids: readonly number[], graceMs: number): Promise<void> {
  const until = async (deadline: number): Promise<number[]> => {
    let left = pids.filter((p) => !isGone(p));
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, GONE_POLL_MS));
      left = left.filter((p) => !isGone(p));
    }
    return left;
  };
  const stragglers = await until(Date.now() + graceMs);
  if (stragglers.length === 0) return;
  for (const p of stragglers) signal(p, 'SIGKILL');
  await until(Date.now() + AFTER_KILL_MS);
}
