// cluster/lazy-disks.ts — LazyDisks: one lazyfs mount per node on the control node, the lose-unsynced fault's disks.
//
// Both backends that run nodes on this machine's kernel use it: cluster/local mounts a node's
// data directory itself, cluster/docker bind-mounts the same host mount into the node's
// container. Either way the lazyfs process lives on the control node, so it outlives the
// node's SIGKILL and is told to crash from here while the node is down.
import { LazyFsMount, lazyFsUnavailable, type CrashOptions } from './lazyfs.ts';
import type { LostUnsynced } from './types.ts';

/** LazyDisks: the lazyfs mounts of a cluster's nodes, by node. */
export class LazyDisks {
  private readonly disks = new Map<string, LazyFsMount>();

  /** refusal: why no lazy disk can be mounted here (root, /dev/fuse), worded for the run; null when one can. */
  static refusal(): string | null {
    const unavailable = lazyFsUnavailable();
    return unavailable === null ? null : `lazyDisk (the lose-unsynced nemesis): ${unavailable}`;
  }

  /** mount puts `node`'s disk over backingDir at mountPoint; each mount is kept before the next starts, so a failure part-way unmounts the ones made. */
  async mount(node: string, backingDir: string, mountPoint: string): Promise<void> {
    if (this.disks.has(node)) throw new Error(`lazy disk of ${node} mounted twice`);
    this.disks.set(node, await LazyFsMount.mount(backingDir, mountPoint));
  }

  has(node: string): boolean {
    return this.disks.has(node);
  }

  /**
   * syncAll makes every disk's contents durable: the files a cluster installed and what each node
   * wrote in its first start, once it is ready. lazyfs keeps a new name only at an fsync of its
   * directory, which no Linux filesystem is that strict about for the directories a server makes
   * as it bootstraps: etcd 3.4 never fsyncs `member/` or its data dir's entry, nor initdb the
   * entry of `pgdata`, and without this the first power failure took back each whole data
   * directory (etcd bootstrapped afresh and lost every write, 2026-12-02). The run's faults
   * start after it, on a cluster as an installed system would be.
   */
  async syncAll(): Promise<void> {
    await Promise.all([...this.disks.values()].map((d) => d.sync()));
  }

  /** forgetUnsynced makes `node`'s disk durable as it is now (nothing left to take back); a no-op without a disk. */
  async forgetUnsynced(node: string): Promise<void> {
    await this.disks.get(node)?.sync();
  }

  /** loseUnsynced crashes a stopped node's disk: every change it had not made durable is taken back. */
  async loseUnsynced(node: string, options: CrashOptions = {}): Promise<LostUnsynced> {
    const disk = this.disks.get(node);
    if (disk === undefined) throw new Error('loseUnsynced: the cluster was not started with lazyDisk (the lose-unsynced nemesis mounts lazyfs under every node)');
    const before = await disk.stats();
    const after = await disk.crash(options);
    if (after.undo_failures > before.undo_failures) throw new Error(`loseUnsynced ${node}: lazyfs could not undo ${after.undo_failures - before.undo_failures} change(s); see its stderr`);
    return { node, undone: after.last_crash_undone, unsyncedBytes: before.unsynced_bytes, tornBytes: after.last_crash_torn_bytes };
  }

  /** unmountAll detaches every disk, keeping what is on it (nothing may use them any more). */
  async unmountAll(): Promise<void> {
    await Promise.all([...this.disks.values()].map((d) => d.unmount()));
    this.disks.clear();
  }

  /** unmountAllSync is the process-exit fallback. */
  unmountAllSync(): void {
    for (const disk of this.disks.values()) disk.unmountSync();
    this.disks.clear();
  }
}
