// workloads/pairing.ts — pairs client invokes with their completions, for the set, counter and bank checkers.
import type { Op } from '../history/op.ts';

/** PairedOp: one client op; `type` is pending when the history ends before its completion. */
export interface PairedOp {
  invoke: Op;
  completion?: Op;
  type: 'ok' | 'fail' | 'info' | 'pending';
  /** startNs/endNs: invoke and completion times (line index when the history has no times). */
  startNs: number;
  /** endNs is Infinity for info and pending ops: they may take effect at any later time. */
  endNs: number;
}

/** opTimeNs is an op's time, falling back to its index (Knossos histories: line order is time order). */
export function opTimeNs(op: Op): number {
  return op.time ?? op.index;
}

/**
 * pairOps pairs each client invoke with the next completion of its process (a process has at
 * most one op in flight), in invoke order. Nemesis ops are left out.
 */
export function pairOps(history: readonly Op[]): PairedOp[] {
  const open = new Map<number, PairedOp>();
  const pairs: PairedOp[] = [];
  for (const op of history) {
    if (op.process === 'nemesis') continue;
    if (op.type === 'invoke') {
      const pair: PairedOp = { invoke: op, type: 'pending', startNs: opTimeNs(op), endNs: Infinity };
      open.set(op.process, pair);
      pairs.push(pair);
      continue;
    }
    const pair = open.get(op.process);
    if (pair === undefined) continue;
    open.delete(op.process);
    pair.completion = op;
    pair.type = op.type;
    if (op.type !== 'info') pair.endNs = opTimeNs(op);
  }
  return pairs;
}

/** opIndexesOf lists the history indexes of a pair (invoke, then completion when there is one). */
export function opIndexesOf(pair: PairedOp): number[] {
  return pair.completion === undefined ? [pair.invoke.index] : [pair.invoke.index, pair.completion.index];
}

/** FinalDisagreement: final reads (after healing, workload stopped) that saw different states. */
export interface FinalDisagreement {
  values: Array<{ value: unknown; node?: string; opIndex: number }>;
}

/**
 * finalReadsDisagree compares the ok final reads (f `final-read`): they run after every fault
 * is healed and every client op has completed, one through each thread's node, so replicas
 * that never converged (diverged copies) answer differently. Returns undefined when they agree.
 */
export function finalReadsDisagree(pairs: readonly PairedOp[]): FinalDisagreement | undefined {
  const finals = pairs.filter((p) => p.invoke.f === 'final-read' && p.type === 'ok' && p.completion !== undefined);
  const distinct = new Set(finals.map((p) => JSON.stringify(p.completion?.value ?? null)));
  if (distinct.size <= 1) return undefined;
  return {
    values: finals.map((p) => ({ value: p.completion?.value ?? null, node: p.completion?.node ?? p.invoke.node, opIndex: p.completion?.index ?? p.invoke.index })),
  };
}

/** describeDisagreement: "final reads disagree (replicas diverged): n1=402, n2=495", one entry per distinct value. */
export function describeDisagreement(disagreement: FinalDisagreement): string {
  const byValue = new Map<string, Set<string>>();
  for (const v of disagreement.values) {
    const text = JSON.stringify(v.value);
    let nodes = byValue.get(text);
    if (nodes === undefined) byValue.set(text, (nodes = new Set()));
    nodes.add(v.node ?? '?');
  }
  const parts = [...byValue].map(([text, nodes]) => `${[...nodes].sort().join('+')}=${text}`);
  return `final reads disagree (replicas diverged): ${parts.join(', ')}`;
}
