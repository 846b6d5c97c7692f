// cluster/local/node-process.ts — one node as a child process: spawn, wait ready, kill, pause.
//
// The child's stdout and stderr go straight to its log file (appended, so restarts accumulate),
// which keeps logs complete even if the control node stalls or dies. Readiness is the
// program's to judge (`ready`, polled with the log offset of this start).
// Every child is started with a lifeline (lifeline.ts): it dies with the control node.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { withLifeline } from './lifeline.ts';
import { descendants, signalTree, waitGone } from './process-tree.ts';

/** ProcessLaunch: how to run one node and tell it is up. */
export interface ProcessLaunch {
  id: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  logPath: string;
  /** The user to run as when the control node is root (lifeline.ts). */
  userWhenRoot?: string;
  /** ready: whether the node is up, given the log offset where this start's output begins. */
  ready(logOffset: number): Promise<boolean>;
}

export type NodeProcessState = 'stopped' | 'running' | 'paused';

const READY_POLL_MS = 20;
const LOG_TAIL_BYTES = 2000;

/** NodeProcess: the lifecycle of one node; methods are no-ops when already in the target state. */
export class NodeProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stateNow: NodeProcessState = 'stopped';

  constructor(readonly launch: ProcessLaunch) {}

  get state(): NodeProcessState {
    return this.stateNow;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** start spawns the node and resolves once launch.ready says so; throws with the log tail otherwise. */
  async start(readyTimeoutMs: number): Promise<void> {
    if (this.stateNow !== 'stopped') return;
    const { launch } = this;
    const offset = fs.existsSync(launch.logPath) ? fs.statSync(launch.logPath).size : 0;
    const fd = fs.openSync(launch.logPath, 'a');
    let child: ChildProcess;
    try {
      const run = withLifeline(launch);
      child = spawn(run.command, run.args, {
        cwd: launch.cwd,
        env: { ...process.env, ...run.env },
        stdio: ['ignore', fd, fd],
      });
    } finally {
      fs.closeSync(fd);
    }
    this.child = child;
    this.stateNow = 'running';
    let exitInfo: string | null = null;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = `exit code ${code ?? '-'} signal ${signal ?? '-'}`;
        if (this.child === child) {
          this.child = null;
          this.stateNow = 'stopped';
        }
        resolve();
      });
      child.once('error', (err) => {
        exitInfo = `spawn error: ${err.message}`;
        if (this.child === child) {
          this.child = null;
          this.stateNow = 'stopped';
        }
        resolve();
      });
    });
    const deadline = Date.now() + readyTimeoutMs;
    while (true) {
      if (exitInfo === null && (await launch.ready(offset))) return;
      if (exitInfo !== null) throw new Error(`node ${launch.id} failed to start (${exitInfo}); log ${launch.logPath}:\n${logTail(launch.logPath, offset)}`);
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`node ${launch.id} not ready after ${readyTimeoutMs} ms; log ${launch.logPath}:\n${logTail(launch.logPath, offset)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
  }

  /** kill sends SIGKILL to the node's whole process tree (process-tree.ts) and waits for the exit: no cleanup, no flush. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    if (child.pid === undefined) {
      child.kill('SIGKILL');
      await this.exited;
      return;
    }
    const tree = signalTree(child.pid, 'SIGKILL');
    await this.exited;
    await waitGone(tree, 0);
  }

  /** pause stops the node's whole process tree with SIGSTOP. */
  pause(): void {
    if (this.stateNow !== 'running' || this.child?.pid === undefined) return;
    signalTree(this.child.pid, 'SIGSTOP');
    this.stateNow = 'paused';
  }

  /** resume continues a paused process tree with SIGCONT. */
  resume(): void {
    if (this.stateNow !== 'paused' || this.child?.pid === undefined) return;
    signalTree(this.child.pid, 'SIGCONT');
    this.stateNow = 'running';
  }

  /** stop asks for a graceful exit (SIGTERM) and SIGKILLs after graceMs. */
  async stop(graceMs: number): Promise<void> {
    const child = this.child;
    if (child === null) return;
    if (this.stateNow === 'paused') this.resume();
    // Whatever the node runs when asked to stop must be gone when stop returns, not just its root.
    const tree = child.pid === undefined ? [] : [child.pid, ...descendants(child.pid)];
    const deadline = Date.now() + graceMs;
    child.kill('SIGTERM');
    const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), graceMs).unref());
    if ((await Promise.race([this.exited.then(() => 'done' as const), timer])) === 'late') await this.kill();
    await waitGone(tree, Math.max(0, deadline - Date.now()));
  }

  /** killSync SIGKILLs without waiting (for process 'exit' handlers). */
  killSync(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    signalTree(pid, 'SIGKILL');
  }
}

/** readFrom reads a log file from byte `offset` on ('' when it cannot be read). */
export function readFrom(logPath: string, offset: number): string {
  try {
    const fd = fs.openSync(logPath, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - offset));
      fs.readSync(fd, buf, 0, buf.length, offset);
      return buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

function logTail(logPath: string, offset: number): string {
  const text = readFrom(logPath, offset);
  return text.length > LOG_TAIL_BYTES ? `...${text.slice(-LOG_TAIL_BYTES)}` : text;
}
