// db/etcd/members.ts — the etcd member command line (built once, for every cluster kind) and leader lookup.
import { spawnSync } from 'node:child_process';
import type { NodeStatus } from '../../cluster/types.ts';
import { etcdConnection } from './client.ts';

/** ETCD_BINARY: Debian's etcd-server installs the member program here. */
export const ETCD_BINARY = '/usr/bin/etcd';
/**
 * STARTED_RE: etcd logs this once its listeners are up, before it has joined a quorum. A
 * restarted member counts as started then: with a majority down it could not join until they
 * return, and waiting for that would stall the nemesis.
 */
export const STARTED_RE = /now serving peer\/client\/metrics/;
/** MEMBER_COUNTS: etcd clusters the suite runs (a majority must survive a minority's faults). */
export const MEMBER_COUNTS = [3, 5] as const;

/** Member: one member's name and addresses: where it listens and what it advertises. */
export interface Member {
  name: string;
  clientUrl: string;
  peerUrl: string;
  /** What the member binds (0.0.0.0 in a container); defaults to the advertised URLs. */
  listenClientUrl?: string;
  listenPeerUrl?: string;
}

/** etcdArgs: a member's flags; `members` is the whole initial cluster, `token` names the run, `preVote` is --etcd-pre-vote. */
export function etcdArgs(self: Member, members: readonly Member[], dataDir: string, token: string, preVote = true): string[] {
  return [
    '--name', self.name,
    '--data-dir', dataDir,
    '--listen-client-urls', self.listenClientUrl ?? self.clientUrl,
    '--advertise-client-urls', self.clientUrl,
    '--listen-peer-urls', self.listenPeerUrl ?? self.peerUrl,
    '--initial-advertise-peer-urls', self.peerUrl,
    '--initial-cluster', members.map((m) => `${m.name}=${m.peerUrl}`).join(','),
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', token,
    // Pre-vote, as etcd 3.5+ runs by default (3.4 from Debian does not): without it, with the leader
    // and one follower of five cut off, the two stale survivors took turns campaigning in ever
    // higher terms, each bump resetting the up-to-date third's election timer, so the majority
    // elected nobody for over 6 s (test/etcd-e2e "five members …", 2026-12-02). `--etcd-pre-vote
    // off` runs stock 3.4, to test that availability.
    ...(preVote ? ['--pre-vote'] : []),
    '--logger', 'zap',
    '--log-outputs', 'stderr',
  ];
}

/** etcdVersion: the first line of `etcd --version`, e.g. "etcd Version: 3.4.23". */
export function etcdVersion(binary = ETCD_BINARY): string {
  return (spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout ?? '').split('\n')[0].trim();
}

/**
 * waitServing resolves once the member answers a linearizable read (it has joined a cluster
 * with a leader); throws after timeoutMs.
 */
export async function waitServing(name: string, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no attempt';
  while (Date.now() < deadline) {
    const etcd = etcdConnection(url, 1000);
    try {
      await etcd.kv.range({ key: Buffer.from('splitbrain-ready') });
      return;
    } catch (error) {
      lastError = (error as Error).message.split('\n')[0];
    } finally {
      etcd.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`etcd member ${name} at ${url} not serving after ${timeoutMs} ms: ${lastError}`);
}

/**
 * memberStatus asks one member (maintenance Status) who it is, whom it believes leader (as a
 * member name; null when it knows none) and how far it applied; null when it does not answer
 * within timeoutMs. This is the etcd DB's primary method for the roles lane.
 */
export async function memberStatus(url: string, timeoutMs: number): Promise<NodeStatus | null> {
  const etcd = etcdConnection(url, timeoutMs);
  try {
    const status = await etcd.maintenance.status({});
    const { members } = await etcd.cluster.memberList({});
    const nameOf = (id: string): string | null => members.find((m) => m.ID === id)?.name ?? null;
    const id = nameOf(status.header.member_id) ?? status.header.member_id;
    const leader = status.leader === '0' ? null : nameOf(status.leader);
    return { id, role: leader === id ? 'leader' : 'follower', primary: leader, term: Number(status.raftTerm), appliedIndex: Number(status.raftAppliedIndex) };
  } catch {
    return null;
  } finally {
    etcd.close();
  }
}
