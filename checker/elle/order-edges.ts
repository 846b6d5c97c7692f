// checker/elle/order-edges.ts — process-order and real-time edges between transactions.
import type { Process } from '../../history/op.ts';
import { PROCESS, REALTIME, type EdgeSink } from './graph.ts';
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
 * addRealtimeEdges adds a → b when a completed ok before b was invoked, keeping only a
 * transitive reduction (Elle's approach): at b's invoke, edges come from the current frontier
 * of completed txns; when b completes, the txns it already follows leave the frontier, since
 * anything invoked later reaches them through b. The frontier stays about as large as the
 * concurrency, so the edge count is linear in the history. Deterministic: checkElle passes it
 * to EdgeBuilder.build as an EdgeSource, which runs it twice instead of storing its edges.
 */
export function addRealtimeEdges(table: TxnTable, edges: EdgeSink): void {
  // Events in history order: invokes (even codes) and ok completions (odd codes), by position.
  let positionMax = -1;
  // completePosition is -1 for txns that never completed ok; they never enter the frontier.
  for (let t = 0; t < table.count; t++) positionMax = Math.max(positionMax, table.invokePosition[t], table.completePosition[t]);
  const eventAt = new Int32Array(positionMax + 1).fill(-1);
  for (let t = 0; t < table.count; t++) {
    if (table.status[t] === FAIL) continue;
    eventAt[table.invokePosition[t]] = t * 2;
    if (table.status[t] === OK) eventAt[table.completePosition[t]] = t * 2 + 1;
  }
  // Frontier double buffer, allocation-free per txn (this runs on histories of millions).
  // When b completes, a frontier txn that completed before b's invoke was in the frontier at
  // that invoke (it entered on completion and is still here), so b already follows it.
  let frontier = new Int32Array(64);
  let spare = new Int32Array(64);
  let frontierSize = 0;
  for (const e of eventAt) {
    if (e < 0) continue;
    const t = e >> 1;
    if ((e & 1) === 0) {
      for (let i = 0; i < frontierSize; i++) edges.add(frontier[i], t, REALTIME);
      continue;
    }
    if (spare.length < frontierSize + 1) spare = new Int32Array(frontier.length * 2);
    const invokedAt = table.invokePosition[t];
    let size = 0;
    for (let i = 0; i < frontierSize; i++) if (table.completePosition[frontier[i]] > invokedAt) spare[size++] = frontier[i];
    spare[size++] = t;
    [frontier, spare] = [spare, frontier];
    frontierSize = size;
  }
}
