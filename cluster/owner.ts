// cluster/owner.ts — who owns a run's leftovers: a process named so that "is it still alive?" has a sure answer.
//
// A pid alone is not enough (pids are reused, and a reboot starts them over), so an owner is
// host + boot id + pid + the process's start time (clock ticks since boot, /proc/PID/stat).
// It is dead when, on the same host, the boot id differs or no process with that pid and start
// time exists. On another host we cannot tell: `unknown`, and unknown owners are never touched.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Owner: one process, identified for liveness checks across pid reuse and reboots. */
export interface Owner {
  host: string;
  bootId: string;
  pid: number;
  startTicks: number;
}

export type OwnerState = 'alive' | 'dead' | 'unknown';

/** OWNER_FILE: the file in a temp dir that names the process that made it. */
export const OWNER_FILE = '.splitbrain-owner';

function bootId(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** startTicksOf reads a process's start time from /proc/PID/stat; null when there is no such process. */
export function startTicksOf(pid: number): number | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); a zombie has exited. starttime is field 22.
  if (fields[0] === 'Z') return null;
  const ticks = Number(fields[19]);
  return Number.isSafeInteger(ticks) ? ticks : null;
}

/** currentOwner names this process. */
export function currentOwner(): Owner {
  return { host: os.hostname(), bootId: bootId(), pid: process.pid, startTicks: startTicksOf(process.pid) ?? -1 };
}

/** formatOwner renders an owner for a label or file: host/bootId/pid/startTicks. */
export function formatOwner(owner: Owner): string {
  return `${owner.host}/${owner.bootId}/${owner.pid}/${owner.startTicks}`;
}

/** parseOwner reads formatOwner's text; null when it is not one. */
export function parseOwner(text: string): Owner | null {
  const parts = text.trim().split('/');
  if (parts.length !== 4) return null;
  const [host, id, pidText, ticksText] = parts;
  const pid = Number(pidText);
  const startTicks = Number(ticksText);
  if (host === '' || id === '' || !Number.isSafeInteger(pid) || pid <= 0 || !Number.isSafeInteger(startTicks)) return null;
  return { host, bootId: id, pid, startTicks };
}

/** ownerState tells whether the owner still runs; `unknown` when this host cannot tell. */
export function ownerState(owner: Owner): OwnerState {
  const me = currentOwner();
  if (owner.host !== me.host || me.bootId === 'unknown') return 'unknown';
  if (owner.bootId !== me.bootId) return 'dead';
  const ticks = startTicksOf(owner.pid);
  return ticks !== null && ticks === owner.startTicks ? 'alive' : 'dead';
}

/** writeOwnerFile marks a directory as made by this process (see removeDeadOwnersDirs). */
export function writeOwnerFile(dir: string): void {
  fs.writeFileSync(path.join(dir, OWNER_FILE), `${formatOwner(currentOwner())}\n`);
}

/** TEMP_DIR_PREFIX: every temp dir a run makes starts with it (os.tmpdir()/splitbrain-...). */
export const TEMP_DIR_PREFIX = 'splitbrain-';

/**
 * removeDeadOwnersDirs removes temp dirs (os.tmpdir()/splitbrain-*) whose owner file names a
 * dead process, and returns their paths. Dirs without an owner file, or whose owner is alive
 * or unknown, are kept.
 */
export function removeDeadOwnersDirs(root: string = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(TEMP_DIR_PREFIX)) continue;
    const dir = path.join(root, name);
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8');
    } catch {
      continue;
    }
    const owner = parseOwner(text);
    if (owner === null || ownerState(owner) !== 'dead') continue;
    fs.rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
