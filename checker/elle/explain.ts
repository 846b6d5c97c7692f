// checker/elle/explain.ts — turn a found cycle into steps with justifications and text a person can follow.
import { PROCESS, REALTIME, edgeName } from './graph.ts';
import { name, type Inference, type Justification } from './inference.ts';
import type { BaseClass, CycleClass, FoundCycle } from './cycles.ts';
import { OK, showMops, txnView, type TxnTable } from './txns.ts';
import type { CycleStep, ElleAnomaly } from './types.ts';

const CLASS_TEXT: Record<BaseClass, string> = {
  'G0': 'a cycle made only of write-write (ww) dependencies: G0, dirty write',
  'G1c': 'a cycle of ww and wr dependencies with at least one wr: G1c, circular information flow',
  'G-single': 'a cycle with exactly one anti-dependency (rw) edge: G-single, read skew',
  'G-nonadjacent': 'a cycle with two or more rw edges, no two of them adjacent: G-nonadjacent',
  'G2-item': 'a cycle with two or more anti-dependency (rw) edges: G2-item, e.g. write skew',
};

function orderJustification(table: TxnTable, from: number, to: number, bit: number): Justification {
  if (bit === PROCESS) {
    return { text: `process ${String(table.process[from])} ran ${name(from)} and then ${name(to)}` };
  }
  // One fact even when the graph reached `to` through a chain of reduced realtime edges.
  if (!(table.completePosition[from] >= 0 && table.completePosition[from] < table.invokePosition[to])) {
    throw new Error(`elle: assertion failed: ${name(from)} < ${name(to)} is no real-time order`);
  }
  const done = table.completeIndex[from];
  return { text: `${name(from)} completed (history index ${done}) before ${name(to)} was invoked (history index ${table.invokeIndex[to]})` };
}

function describeTxn(table: TxnTable, id: number): string {
  const status = table.status[id] === OK ? 'ok' : 'info';
  return `${name(id)} = process ${String(table.process[id])}, history index ${table.invokeIndex[id]}, ${status}: ${showMops(table.mops[id])}`;
}

/** explainCycle builds the anomaly record for `cycle` of class `c`. */
export function explainCycle(table: TxnTable, inference: Inference, c: CycleClass, cycle: FoundCycle): ElleAnomaly {
  const steps: CycleStep[] = [];
  const n = cycle.nodes.length;
  for (let i = 0; i < n; i++) {
    const from = cycle.nodes[i];
    const to = cycle.nodes[(i + 1) % n];
    const bit = cycle.bits[i];
    const why = bit === PROCESS || bit === REALTIME
      ? orderJustification(table, from, to, bit)
      : inference.justify(from, to, bit) ?? { text: `${name(from)} precedes ${name(to)}` };
    const step: CycleStep = { from, to, edge: edgeName(bit), text: why.text };
    if (why.key !== undefined) step.key = why.key;
    if (why.value !== undefined) step.value = why.value;
    steps.push(step);
  }
  const order = [...cycle.nodes, cycle.nodes[0]].map(name).join(' < ');
  const variant = c.extra === PROCESS ? ' It needs process order: without it there is no cycle.'
    : c.extra === REALTIME ? ' It needs real-time order: without it there is no cycle.' : '';
  const lines = [
    'Let:',
    ...cycle.nodes.map((id) => `  ${describeTxn(table, id)}`),
    'Then:',
    ...steps.map((s) => `  - ${name(s.from)} < ${name(s.to)} (${s.edge}): ${s.text}.`),
    `However, ${order}: ${CLASS_TEXT[c.base]}.${variant}`,
  ];
  return {
    type: c.type,
    txns: cycle.nodes.map((id) => txnView(table, id)),
    cycle: steps,
    explanation: lines.join('\n'),
  };
}
