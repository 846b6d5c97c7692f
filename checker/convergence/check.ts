// checker/convergence/check.ts — eventual consistency: after the faults heal, do the replicas agree and keep every acknowledged write?
//
// An eventually consistent store (rsm gossip) is not linearizable by design, so the
// linearizability verdict alone cannot tell a working one from a broken one. What it promises
// is convergence (Terry et al., Bayou, SOSP 1995; Vogels, "Eventually Consistent", CACM 2009):
// once writes stop and the network heals, every replica answers the same, and under last
// writer wins every acknowledged write is either what they answer or superseded by a write with
// a higher stamp. This checker reads the stamps the store reports with each ok write and read
// (Op.stamp). It also measures what the weaker promise costs while faults last: stale reads.
import { historyClock, pairHistory, type Pair } from '../../history/pair.ts';
import type { Op, OpKey, Stamp } from '../../history/op.ts';
import { composeVerdicts, type CheckerResult, type Verdict } from '../types.ts';

/** ROWS_MAX bounds each list the result carries (the counts stay exact). */
const ROWS_MAX = 50;

/** FinalRead: one replica's last read of a key after the heal. */
export interface FinalRead {
  node: string;
  value: unknown;
  stamp: Stamp | null;
  opIndex: number;
}

/** LostWrite: an acknowledged write some replica's final read neither shows nor supersedes. */
export interface LostWrite {
  key: OpKey;
  value: unknown;
  stamp: Stamp;
  opIndex: number;
  /** nodes whose final read holds a lower stamp (or none). */
  nodes: string[];
}

/** StaleReads: ok reads that returned an older stamp than a write acknowledged before they began. */
export interface StaleReads {
  count: number;
  /** duringFaults: those invoked while a fault was in force (faultWindows), or between the first and last nemesis op without roles. */
  duringFaults: number;
  /** staleMsMax: the longest time a newer acknowledged write had already been acknowledged; null if untimed. */
  staleMsMax: number | null;
  /** windowMs: from the first stale read to the last, in ms since the start; null when none or untimed. */
  windowMs: [number, number] | null;
  examples: Array<{ key: OpKey; opIndex: number; read: Stamp | null; newer: Stamp; staleMs: number | null }>;
}

/** ConvergenceResult: the verdict, its evidence and the stale-read tally. */
export interface ConvergenceResult extends CheckerResult {
  kind: 'convergence';
  valid: Verdict;
  anomalies: string[];
  keyCount: number;
  nodes: string[];
  /** disagreements: keys whose replicas' final reads differ. */
  disagreements: Array<{ key: OpKey; reads: FinalRead[] }>;
  lostWrites: LostWrite[];
  /** missingFinalReads: (key, node) pairs with no ok read after the heal: convergence unknown there. */
  missingFinalReads: Array<{ key: OpKey; node: string }>;
  staleReads: StaleReads;
}

/** compareStamps: Lamport's total order — clock, then node id; null (never written) below every stamp. */
export function compareStamps(a: Stamp | null, b: Stamp | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] === b[1] ? 0 : a[1] < b[1] ? -1 : 1;
}

interface KeyOps {
  writes: Pair[];
  reads: Pair[];
}

const isWrite = (p: Pair): boolean => p.invoke.f === 'write' || p.invoke.f === 'cas';
const stampOf = (p: Pair): Stamp | null | undefined => p.completion?.stamp;
const nodeOf = (p: Pair): string | undefined => p.completion?.node ?? p.invoke.node;

/**
 * checkConvergence: the final read of a key at a node is its last ok read there invoked after
 * the last nemesis op (the final heal) and after every write of the key completed — the
 * workload's final phase, which reads every key through every replica after the quiet period.
 * `nodes` defaults to every node that answered a client op.
 */
export function checkConvergence(history: readonly Op[], opts: { nodes?: readonly string[]; faultRoles?: FaultRoles } = {}): ConvergenceResult {
  const clock = historyClock(history);
  const { pairs } = pairHistory(history, clock);
  const nemesis = history.filter((op) => op.process === 'nemesis');
  const healAt = nemesis.length > 0 ? clock.position(nemesis[nemesis.length - 1]) : -Infinity;
  const windows = opts.faultRoles === undefined
    ? (nemesis.length > 0 ? [{ from: clock.position(nemesis[0]), to: healAt }] : [])
    : faultWindows(nemesis, opts.faultRoles, (op) => clock.position(op));
  const nodes = [...new Set(opts.nodes ?? pairs.map(nodeOf).filter((n): n is string => n !== undefined))].sort();
  const byKey = new Map<OpKey, KeyOps>();
  for (const p of pairs) {
    if (p.invoke.key === undefined || p.type !== 'ok') continue;
    let k = byKey.get(p.invoke.key);
    if (k === undefined) byKey.set(p.invoke.key, (k = { writes: [], reads: [] }));
    if (isWrite(p)) k.writes.push(p);
    else if (p.invoke.f === 'read') k.reads.push(p);
  }
  const result: ConvergenceResult = {
    kind: 'convergence', valid: true, anomalies: [], keyCount: byKey.size, nodes,
    disagreements: [], lostWrites: [], missingFinalReads: [],
    staleReads: { count: 0, duringFaults: 0, staleMsMax: null, windowMs: null, examples: [] },
  };
  const verdicts: Verdict[] = [];
  for (const [key, ops] of byKey) {
    const settledAt = Math.max(healAt, ...ops.writes.map((w) => w.end));
    const finals = finalReads(ops.reads, settledAt);
    for (const node of nodes) if (!finals.has(node)) result.missingFinalReads.push({ key, node });
    const reads = [...finals.values()];
    if (new Set(reads.map((r) => JSON.stringify([r.stamp, r.value]))).size > 1) result.disagreements.push({ key, reads });
    for (const w of ops.writes) {
      const stamp = stampOf(w);
      if (stamp === undefined || stamp === null) continue;
      const lacking = reads.filter((r) => compareStamps(r.stamp, stamp) < 0 || (compareStamps(r.stamp, stamp) === 0 && JSON.stringify(r.value) !== JSON.stringify(writtenValue(w))));
      if (lacking.length > 0) result.lostWrites.push({ key, value: writtenValue(w), stamp, opIndex: w.invoke.index, nodes: lacking.map((r) => r.node) });
    }
    countStaleReads(ops, settledAt, windows, clock.timed, result.staleReads);
  }
  verdicts.push(result.disagreements.length > 0 || result.lostWrites.length > 0 ? false : true);
  if (result.missingFinalReads.length > 0) verdicts.push('unknown');
  result.valid = composeVerdicts(verdicts);
  result.anomalies = describe(result);
  result.disagreements.splice(ROWS_MAX);
  result.lostWrites.splice(ROWS_MAX);
  result.missingFinalReads.splice(ROWS_MAX);
  return result;
}

/** writtenValue: what an ok write or cas left in the register. */
function writtenValue(w: Pair): unknown {
  return w.invoke.f === 'cas' ? (w.invoke.value as [unknown, unknown])[1] : w.invoke.value;
}

/** finalReads: per node, the last ok read invoked after `settledAt`. */
function finalReads(reads: readonly Pair[], settledAt: number): Map<string, FinalRead> {
  const finals = new Map<string, FinalRead>();
  for (const r of reads) {
    const node = nodeOf(r);
    if (node === undefined || !(r.start > settledAt)) continue;
    const stamp = stampOf(r) ?? null;
    finals.set(node, { node, value: r.completion?.value ?? null, stamp, opIndex: r.invoke.index });
  }
  return finals;
}

/** FaultRoles: each nemesis f's kind and role (nemesis/faults/registry.ts faultRoles, passed in as data). */
export type FaultRoles = Readonly<Record<string, { kind: string; role: 'open' | 'close' }>>;

/** FaultWindow: positions (historyClock) from a fault's opening invoke to its closing completion. */
interface FaultWindow {
  from: number;
  to: number;
}

/**
 * faultWindows: when faults were in force — per kind, from the invoke of the op that opens it to
 * the completion of the op that closes it (the widest window, as the report draws it); one never
 * closed lasts to the end. Ops of no known role open nothing.
 */
export function faultWindows(nemesis: readonly Op[], roles: FaultRoles, position: (op: Op) => number): FaultWindow[] {
  const open = new Map<string, number>();
  const windows: FaultWindow[] = [];
  for (const op of nemesis) {
    const role = Object.prototype.hasOwnProperty.call(roles, op.f) ? roles[op.f] : undefined;
    if (role === undefined) continue;
    if (role.role === 'open' && op.type === 'invoke' && !open.has(role.kind)) open.set(role.kind, position(op));
    if (role.role === 'close' && op.type !== 'invoke' && open.has(role.kind)) {
      windows.push({ from: open.get(role.kind)!, to: position(op) });
      open.delete(role.kind);
    }
  }
  for (const from of open.values()) windows.push({ from, to: Infinity });
  return windows;
}

/**
 * countStaleReads: a read before the key settled is stale when a write acknowledged before the
 * read began carries a higher stamp than what the read returned; its staleness is how long
 * that newer write had been acknowledged (the earliest such write).
 */
function countStaleReads(ops: KeyOps, settledAt: number, windows: readonly FaultWindow[], timed: boolean, into: StaleReads): void {
  const writes = ops.writes.filter((w) => stampOf(w) !== undefined && stampOf(w) !== null).sort((a, b) => a.end - b.end);
  for (const r of ops.reads) {
    if (r.start > settledAt) continue;
    const read = stampOf(r);
    if (read === undefined) continue;
    const newer = writes.find((w) => w.end < r.start && compareStamps(stampOf(w) ?? null, read) > 0);
    if (newer === undefined) continue;
    into.count += 1;
    if (windows.some((w) => r.start >= w.from && r.start <= w.to)) into.duringFaults += 1;
    const staleMs = timed ? (r.start - newer.end) / 1e6 : null;
    if (staleMs !== null) {
      into.staleMsMax = Math.max(into.staleMsMax ?? 0, staleMs);
      const atMs = r.start / 1e6;
      into.windowMs = into.windowMs === null ? [atMs, atMs] : [Math.min(into.windowMs[0], atMs), Math.max(into.windowMs[1], atMs)];
    }
    if (into.examples.length < ROWS_MAX) into.examples.push({ key: r.invoke.key as OpKey, opIndex: r.invoke.index, read, newer: stampOf(newer) as Stamp, staleMs });
  }
}

/** describe: one line per kind of finding, naming the first key and nodes. */
function describe(r: ConvergenceResult): string[] {
  const lines: string[] = [];
  const fmt = (s: Stamp | null): string => (s === null ? 'none' : `(${s[0]},${s[1]})`);
  if (r.disagreements.length > 0) {
    const d = r.disagreements[0];
    const reads = d.reads.map((x) => `${x.node}=${JSON.stringify(x.value)}@${fmt(x.stamp)}`).join(', ');
    lines.push(`replicas did not converge on ${r.disagreements.length} key(s): key ${JSON.stringify(d.key)} final reads ${reads}`);
  }
  if (r.lostWrites.length > 0) {
    const w = r.lostWrites[0];
    lines.push(`${r.lostWrites.length} acknowledged write(s) neither present nor superseded: key ${JSON.stringify(w.key)} value ${JSON.stringify(w.value)}@${fmt(w.stamp)} (op ${w.opIndex}) missing on ${w.nodes.join(', ')}`);
  }
  if (r.missingFinalReads.length > 0) {
    const m = r.missingFinalReads[0];
    lines.push(`convergence unknown: ${r.missingFinalReads.length} (key, replica) pair(s) with no ok read after the heal, e.g. key ${JSON.stringify(m.key)} on ${m.node}`);
  }
  return lines;
}
