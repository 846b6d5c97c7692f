// control/runner/roles.ts — samples each node's view of who leads (cluster.status) a few times a second into roles.jsonl.
//
// The roles lane of the report is drawn from this file, not from the history: the history stays
// a plain Jepsen history (client and nemesis ops only) that any checker reads. One line per
// change of a node's answer, so a quiet cluster writes almost nothing:
//   {"time": 1523000000, "node": "n2", "role": "primary", "primary": "n2", "term": 3}
// `time` is in history nanoseconds (the Recorder's clock); `role` null means the node did not
// answer (killed, paused, cut off from the control node, or too slow).
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Cluster, NodeStatus } from '../../cluster/types.ts';

/** ROLE_SAMPLE_INTERVAL_MS: how often every node is asked (its status call has its own timeout). */
export const ROLE_SAMPLE_INTERVAL_MS = 200;
/** ROLE_LINES_MAX bounds the file whatever a cluster does (a flapping node writes a line per change). */
const ROLE_LINES_MAX = 200_000;

/** RoleLine: one line of roles.jsonl. */
export interface RoleLine {
  time: number;
  node: string;
  role: string | null;
  primary?: string | null;
  term?: number;
  view?: number;
}

/** roleLine: what a status answer says about roles (other fields of the answer are dropped). */
export function roleLine(time: number, node: string, status: NodeStatus | null): RoleLine {
  if (status === null) return { time, node, role: null };
  const line: RoleLine = { time, node, role: String(status.role) };
  if (status.primary !== undefined) line.primary = status.primary;
  if (typeof status.term === 'number') line.term = status.term;
  if (typeof status.view === 'number') line.view = status.view;
  return line;
}

/** sameRole: two lines of one node say the same thing (time aside). */
function sameRole(a: RoleLine, b: RoleLine): boolean {
  return a.role === b.role && a.primary === b.primary && a.term === b.term && a.view === b.view;
}

/**
 * RoleSampler asks every node of the cluster for its status every ROLE_SAMPLE_INTERVAL_MS and
 * appends a line whenever a node's answer changes. A node that never answered writes nothing
 * (a Db without `status` leaves the file empty). Write errors stop the sampling, never the run.
 */
export class RoleSampler {
  private readonly last = new Map<string, RoleLine>();
  private readonly out: WriteStream;
  private stopped = false;
  private lines = 0;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly cluster: Pick<Cluster, 'allNodes' | 'status'>, file: string, private readonly nowNs: () => number, private readonly intervalMs = ROLE_SAMPLE_INTERVAL_MS) {
    this.out = createWriteStream(file, { flags: 'a' });
    this.out.on('error', () => {
      this.stopped = true;
    });
  }

  start(): void {
    this.loop ??= this.run().finally(() => new Promise<void>((resolve) => this.out.end(resolve)));
  }

  /**
   * stop ends the sampling at once: answers still in flight are dropped (the run is tearing its
   * cluster down, so they would only say "no answer"). `closed` resolves once the file is closed.
   */
  stop(): void {
    this.stopped = true;
    this.wake?.();
    if (this.loop === null) this.out.end();
  }

  /** closed: the file is complete (await it before reading roles.jsonl). */
  get closed(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.sampleAll();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.intervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private async sampleAll(): Promise<void> {
    await Promise.all(this.cluster.allNodes.map(async (node) => {
      const status = await this.cluster.status(node).catch(() => null);
      this.note(roleLine(this.nowNs(), node, status));
    }));
  }

  private note(line: RoleLine): void {
    if (this.stopped) return;
    const before = this.last.get(line.node);
    if (before === undefined && line.role === null) return;
    if (before !== undefined && sameRole(before, line)) return;
    this.last.set(line.node, line);
    if (this.lines >= ROLE_LINES_MAX || this.out.destroyed) return;
    this.lines += 1;
    this.out.write(`${JSON.stringify(line)}\n`);
  }
}
