// checker/elle/order-edges.ts — process-order and real-time edges between transactions.
import type { Process } from '../../history/op.ts';
import { PROCESS, type EdgeSink, type RealtimeRanges } from './graph.ts';
import { FAIL, OK, type TxnTable } from './txns.ts';

/** addProcessEdges links each process's consecutive non-failed txns (a process runs one txn at a time). */
export function addProcessEdges(table: TxnTable, edges: EdgeSink): void {
  const last = new Map<Process, number>();
  for (let t = 0; t < table.count; t++) {
    if (table.status[t] === FAIL) continue;
    const p = table.process[t];
    const prev = last.get(p);
    // After an info the process should end; if a history reuses it anyway, that txn may commit
    // later than its successor, so only an ok txn orders the next one.
    if (prev !== undefined && table.status[prev] === OK) edges.add(prev, t, PROCESS);
    last.set(p, t);
  }
}

/**
 * realtimeRanges gives real-time order (a → b when a completed ok before b was invoked) as
 * Elle's transitive reduction, held as one id range per txn (graph.ts RealtimeRanges). A
 * completed ok txn joins the frontier; when b completes, the frontier txns that completed
 * before b's invoke leave it, since anything invoked later reaches them through b. So a
 * precedes, directly, exactly the txns invoked while it is on the frontier: ids (invoke order)
 * from the first invoked after a completed to the first invoked after a left. The frontier
 * stays about as large as the concurrency, so this is linear in the history.
 */
export function realtimeRanges(table: TxnTable): RealtimeRanges {
  const n = table.count;
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  const skip = new Uint8Array(n);
  for (let t = 0; t < n; t++) if (table.status[t] === FAIL) skip[t] = 1;
  // Ok completions in history order: a slot per history position (no sort).
  let positionMax = -1;
  for (let t = 0; t < n; t++) positionMax = Math.max(positionMax, table.completePosition[t]);
  const completedAt = new Int32Array(positionMax + 1).fill(-1);
  for (let t = 0; t < n; t++) if (table.status[t] === OK) completedAt[table.completePosition[t]] = t;
  // Frontier double buffer, allocation-free per txn (this runs on histories of millions).
  let frontier = new Int32Array(64);
  let spare = new Int32Array(64);
  let frontierSize = 0;
  let next = 0;
  for (let at = 0; at <= positionMax; at++) {
    const t = completedAt[at];
    if (t < 0) continue;
    // next: the first txn invoked after this completion.
    while (next < n && table.invokePosition[next] < at) next++;
    lo[t] = next;
    hi[t] = n;
    if (spare.length < frontierSize + 1) spare = new Int32Array(frontier.length * 2);
    const invokedAt = table.invokePosition[t];
    let size = 0;
    for (let i = 0; i < frontierSize; i++) {
      const a = frontier[i];
      if (table.completePosition[a] > invokedAt) spare[size++] = a; else hi[a] = next;
    }
    spare[size++] = t;
    [frontier, spare] = [spare, frontier];
    frontierSize = size;
  }
  return { lo, hi, skip };
}
