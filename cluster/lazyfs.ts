// cluster/lazyfs.ts — LazyFsMount: one mounted lazyfs (native/lazyfs), a disk that loses what was not fsynced.
//
// The filesystem passes everything through to a backing directory and, on crash(), takes back
// every change not yet made durable by fsync (file data) or a directory fsync (names); see the
// comment at the top of native/lazyfs/lazyfs.c. This module builds the binary when its sources
// are newer, mounts it as a child process that unmounts itself when its parent dies, and drives
// it through its control file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureNativeBinary, nativeBinary } from './native-build.ts';

/** LAZYFS_BINARY: where scripts/build-lazyfs.sh (make -C native/lazyfs) puts the program. */
export const LAZYFS_BINARY = nativeBinary('lazyfs', 'lazyfs');
const CONTROL_FILE = '.lazyfs-ctl';
const MOUNT_WAIT_MS_MAX = 5000;
const EXIT_WAIT_MS_MAX = 3000;

/** LazyFsStats: the filesystem's counters (its control file, one "name value" a line). */
export interface LazyFsStats {
  entries: number;
  write_entries: number;
  namespace_entries: number;
  unsynced_bytes: number;
  crashes: number;
  undo_failures: number;
  last_crash_undone: number;
  last_crash_torn_bytes: number;
}

/** lazyFsUnavailable: why lazyfs cannot be mounted here (null when it can). */
export function lazyFsUnavailable(): string | null {
  if (process.platform !== 'linux') return `lazyfs needs Linux (FUSE); this is ${process.platform}`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'lazyfs needs root (it mounts a FUSE filesystem per node); run as root';
  if (!fs.existsSync('/dev/fuse')) return 'lazyfs needs /dev/fuse (the kernel FUSE device; in a container: --device /dev/fuse --cap-add SYS_ADMIN)';
  return null;
}

/** ensureLazyFsBinary builds native/lazyfs when the binary is missing or older than a source; returns its path. */
export function ensureLazyFsBinary(): string {
  return ensureNativeBinary('lazyfs', 'lazyfs', 'scripts/build-lazyfs.sh', 'libfuse3-dev, fuse3, gcc, make and pkg-config');
}

/** isMounted: whether mountPoint is a mount point now (read from /proc/self/mountinfo). */
export function isMounted(mountPoint: string): boolean {
  const target = path.resolve(mountPoint);
  const lines = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  // Field 5 is the mount point, with spaces and the like escaped as octal.
  return lines.some((l) => l.split(' ')[4]?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) === target);
}

/** lazyFsMounts: every lazyfs mount point now (for leak checks and `clean`). */
export function lazyFsMounts(): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((l) => / - fuse\.lazyfs /.test(l))
    .map((l) => l.split(' ')[4].replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** unmountSync detaches a mount at once (lazily when busy); safe when nothing is mounted there. */
export function unmountSync(mountPoint: string): void {
  if (!isMounted(mountPoint)) return;
  spawnSync('fusermount3', ['-u', '-q', mountPoint]);
  if (isMounted(mountPoint)) spawnSync('fusermount3', ['-u', '-z', '-q', mountPoint]);
  if (isMounted(mountPoint)) spawnSync('umount', ['-l', mountPoint]);
}

/** CrashOptions: torn keeps a prefix of the newest unsynced write (true: half of it; a number: that many bytes). */
export interface CrashOptions {
  torn?: boolean | number;
}

/** LazyFsMount: a running lazyfs. Create with LazyFsMount.mount; unmount() when done. */
export class LazyFsMount {
  private exited: Promise<void>;
  private alive = true;

  private constructor(readonly backingDir: string, readonly mountPoint: string, private readonly child: ChildProcess, private stderr: () => string) {
    this.exited = new Promise((resolve) => child.once('exit', () => {
      this.alive = false;
      resolve();
    }));
  }

  /** mount starts lazyfs over backingDir at mountPoint (both made if missing) and waits until it serves. */
  static async mount(backingDir: string, mountPoint: string): Promise<LazyFsMount> {
    const unavailable = lazyFsUnavailable();
    if (unavailable !== null) throw new Error(unavailable);
    const binary = ensureLazyFsBinary();
    fs.mkdirSync(backingDir, { recursive: true });
    fs.mkdirSync(mountPoint, { recursive: true });
    if (isMounted(mountPoint)) throw new Error(`lazyfs: ${mountPoint} is already a mount point`);
    let err = '';
    // allow_other: a node that runs as its own user (postgres), or in a container, reaches the
    // mount too; without it FUSE admits only the mounting user's processes.
    const child = spawn(binary, ['--die-with-parent', backingDir, mountPoint, '-oallow_other'], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.setEncoding('utf8');
    // libfuse 3.14 warns about its own default thread count; it is noise, not an error.
    child.stderr!.on('data', (d: string) => { err += d.replace(/Ignoring invalid max threads value[^\n]*\n?/g, ''); });
    const m = new LazyFsMount(backingDir, mountPoint, child, () => err.trim());
    const deadline = Date.now() + MOUNT_WAIT_MS_MAX;
    while (!isMounted(mountPoint)) {
      if (!m.alive || child.exitCode !== null) throw new Error(`lazyfs: mount of ${mountPoint} failed: ${err.trim() || `exit ${child.exitCode}`}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`lazyfs: ${mountPoint} not mounted after ${MOUNT_WAIT_MS_MAX} ms`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return m;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** crash drops every change not yet durable (optionally tearing the newest write); returns the counters after. */
  async crash(options: CrashOptions = {}): Promise<LazyFsStats> {
    const torn = options.torn;
    const command = torn === undefined || torn === false ? 'crash' : torn === true ? 'crash torn' : `crash torn=${torn}`;
    await this.command(command);
    return this.stats();
  }

  /** sync makes everything durable now (as if every file and directory were fsynced). */
  async sync(): Promise<void> {
    await this.command('sync');
  }

  async stats(): Promise<LazyFsStats> {
    const text = await fs.promises.readFile(path.join(this.mountPoint, CONTROL_FILE), 'utf8');
    const out: Record<string, number> = {};
    for (const line of text.split('\n')) {
      const [k, v] = line.split(' ');
      if (k !== '' && v !== undefined) out[k] = Number(v);
    }
    return out as unknown as LazyFsStats;
  }

  /** unmount detaches the filesystem (keeping every change: a clean shutdown) and waits for the process. */
  async unmount(): Promise<void> {
    unmountSync(this.mountPoint);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), EXIT_WAIT_MS_MAX).unref());
    if (this.alive && (await Promise.race([this.exited, timer])) === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    const err = this.stderr();
    if (err !== '' && /undo/.test(err)) process.stderr.write(`lazyfs ${this.mountPoint}: ${err}\n`);
  }

  /** unmountSync is the process-exit fallback: detach lazily and kill the process. */
  unmountSync(): void {
    unmountSync(this.mountPoint);
    if (this.alive) this.child.kill('SIGKILL');
  }

  private async command(text: string): Promise<void> {
    if (!this.alive) throw new Error(`lazyfs ${this.mountPoint}: the filesystem process is gone (${this.stderr() || 'no error output'})`);
    await fs.promises.writeFile(path.join(this.mountPoint, CONTROL_FILE), text);
  }
}
