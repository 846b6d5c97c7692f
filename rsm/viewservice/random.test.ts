// rsm/viewservice/random.test.ts — seeded random schedules of crashes, restarts, partitions and drops.
//
// Every schedule runs clients appending unique values to one list key and reading it while
// faults are injected, then heals, restarts everything and reads the final list. The history
// must be linearizable for an append-only list: every acknowledged append is in the final list,
// no rejected one is, every ok read is a prefix of the final list, and real-time order holds.
// Views must only move forward and are never redefined. The same schedules run against the
// single view server and against a replicated one (three view-server nodes on Raft), whose
// nodes the faults hit too. SEED=<n> replays one schedule.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../lib/rng.ts';
import type { NodeId } from '../core/types.ts';
import { VsCluster, type OpRecord } from '../../test/support/viewservice-cluster.ts';

const REPLICAS = ['s1', 's2', 's3'];
const FAULT_TICKS = 150;
const RECOVERY_TICKS_MAX = 600;
const SINGLE = ['vs'];
const GROUP = ['vs1', 'vs2', 'vs3'];

interface Schedule {
  seed: number;
  cluster: VsCluster;
  appends: number[];
  reads: number[];
  final: unknown[];
}

/**
 * viewMonitor checks after every action that views only move forward at each view-server node
 * that serves, are never redefined, and that no replica knows a view no view server made.
 */
function viewMonitor(c: VsCluster): void {
  const views = new Map<number, string>();
  let highest = 0;
  const serverViews = new Map<NodeId, { core: unknown; view: number }>();
  const replicaViews = new Map<NodeId, { core: unknown; view: number }>();
  c.monitors.push(() => {
    for (const id of c.viewServers) {
      const vs = c.net.node(id);
      const s = vs.core.status();
      if (!vs.up || s.serving !== true) continue;
      const viewnum = s.view ?? 0;
      const before = serverViews.get(id);
      if (before !== undefined && before.core === vs.core && viewnum < before.view) throw new Error(`${id} went back from view ${before.view} to ${viewnum}`);
      serverViews.set(id, { core: vs.core, view: viewnum });
      highest = Math.max(highest, viewnum);
      const shape = `${s.primary}/${s.backup}`;
      const known = views.get(viewnum);
      if (known !== undefined && known !== shape) throw new Error(`view ${viewnum} redefined: ${known} then ${shape} at ${id}`);
      views.set(viewnum, shape);
    }
    for (const id of REPLICAS) {
      const n = c.net.node(id);
      if (!n.up) continue;
      const view = n.core.status().view ?? 0;
      if (view > highest) throw new Error(`${id} knows a view the view server never made`);
      // A server's view never goes backwards while it runs (a restart starts again from 0).
      const before = replicaViews.get(id);
      if (before !== undefined && before.core === n.core && view < before.view) throw new Error(`${id} went back to view ${view}`);
      replicaViews.set(id, { core: n.core, view });
    }
  });
}

/** injectFault maybe crashes, restarts, cuts, drops or heals something. */
function injectFault(c: VsCluster, rng: SeededRng): void {
  const all = [...c.viewServers, ...REPLICAS];
  const pick = (ids: NodeId[]): NodeId => ids[rng.int(ids.length)];
  const up = all.filter((id) => c.net.node(id).up);
  const down = all.filter((id) => !c.net.node(id).up);
  const roll = rng.next();
  if (roll < 0.03 && up.length > 0) c.net.crash(pick(up));
  else if (roll < 0.1 && down.length > 0) c.net.restart(pick(down));
  else if (roll < 0.13) {
    const a = pick(all);
    const b = pick(all.filter((id) => id !== a));
    c.net.cut(a, b);
  } else if (roll < 0.15) c.net.drop(pick(all), pick(all), 0.3);
  else if (roll < 0.19) c.net.heal();
}

function clientStep(c: VsCluster, rng: SeededRng, appends: number[], reads: number[], n: number): void {
  const primary = c.primary();
  const target = primary !== null && rng.next() < 0.7 ? primary : REPLICAS[rng.int(REPLICAS.length)];
  const roll = rng.next();
  if (roll < 0.5) appends.push(c.append(target, 'k', `v${n}`));
  else if (roll < 0.7) reads.push(c.read(target, 'k'));
}

function runSchedule(seed: number, viewServers: NodeId[]): Schedule {
  const rng = new SeededRng(seed);
  const c = new VsCluster({ seed, replicas: REPLICAS, viewServers, reorder: true, options: { snapshotEvery: String(2 + rng.int(20)) } });
  viewMonitor(c);
  const appends: number[] = [];
  const reads: number[] = [];
  for (let t = 0; t < FAULT_TICKS; t += 1) {
    clientStep(c, rng, appends, reads, t);
    injectFault(c, rng);
    c.tick();
  }
  c.net.heal();
  for (const id of [...viewServers, ...REPLICAS]) if (!c.net.node(id).up) c.net.restart(id);
  let finalRead = -1;
  for (let t = 0; t < RECOVERY_TICKS_MAX; t += 1) {
    if (finalRead >= 0 && c.op(finalRead).reply?.outcome === 'ok') break;
    const p = c.primary();
    if (t % 10 === 0 && p !== null) finalRead = c.read(p, 'k');
    c.tick();
  }
  if (finalRead < 0 || c.op(finalRead).reply?.outcome !== 'ok') throw new Error(`seed ${seed}: no primary served after recovery`);
  return { seed, cluster: c, appends, reads, final: (c.okValue(finalRead) as unknown[] | null) ?? [] };
}

function appendValue(op: OpRecord): unknown {
  if (op.command.cmd.kind !== 'txn') throw new Error('not an append');
  return op.command.cmd.ops[0][2];
}

/**
 * checkAppendList checks the history against an append-only list's sequential specification;
 * it throws naming the first violation (plain checks: thousands of expect calls are slow).
 */
function checkAppendList(s: Schedule): void {
  const { cluster: c, final } = s;
  const fail = (why: string): never => {
    throw new Error(`seed ${s.seed}: ${why}; final list ${JSON.stringify(final)}`);
  };
  const position = new Map(final.map((v, i) => [v, i]));
  if (position.size !== final.length) fail('the final list has duplicates');
  const okAppends: OpRecord[] = [];
  for (const op of s.appends.map((r) => c.op(r))) {
    const v = appendValue(op);
    if (op.reply?.outcome === 'ok') okAppends.push(op);
    if (op.reply?.outcome === 'ok' && !position.has(v)) fail(`acknowledged append ${String(v)} lost`);
    if (op.reply?.outcome === 'reject' && position.has(v)) fail(`rejected append ${String(v)} applied`);
  }
  for (const r of s.reads.map((id) => c.op(id)).filter((op) => op.reply?.outcome === 'ok')) {
    const seen = (c.okValue(r.reqId) as unknown[] | null) ?? [];
    if (JSON.stringify(seen) !== JSON.stringify(final.slice(0, seen.length))) fail(`read ${r.reqId} saw ${JSON.stringify(seen)}, not a prefix`);
    for (const a of okAppends) {
      // An append acknowledged before the read began must be visible; one begun after it ended must not.
      if ((a.replyStep ?? Infinity) < r.invokeStep && !seen.includes(appendValue(a))) fail(`read ${r.reqId} missed ${String(appendValue(a))}`);
      if (a.invokeStep > (r.replyStep ?? Infinity) && seen.includes(appendValue(a))) fail(`read ${r.reqId} saw the future ${String(appendValue(a))}`);
    }
  }
  for (const a of okAppends) for (const b of okAppends) {
    const pa = position.get(appendValue(a)) as number;
    const pb = position.get(appendValue(b)) as number;
    if ((a.replyStep ?? Infinity) < b.invokeStep && !(pa < pb)) fail(`${String(appendValue(a))} acked before ${String(appendValue(b))} began, but ordered after`);
  }
}

describe('view service under random faults', () => {
  const replay = process.env.SEED === undefined ? undefined : Number(process.env.SEED);
  it.each([
    ['the single view server', SINGLE, 300, 300],
    ['a replicated view server (three nodes on Raft)', GROUP, 60, 60],
  ] as const)('keeps a linearizable append-only list over many seeded schedules: %s', (_name, viewServers, numRuns, ackedMin) => {
    let acked = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const schedule = runSchedule(replay ?? seed, [...viewServers]);
        checkAppendList(schedule);
        acked += schedule.appends.filter((r) => schedule.cluster.op(r).reply?.outcome === 'ok').length;
      }),
      { numRuns: replay === undefined ? numRuns : 1, seed: 20261122 },
    );
    expect(acked).toBeGreaterThan(replay === undefined ? ackedMin : 0); // the schedules did real work
  });
});
