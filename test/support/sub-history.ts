// test/support/sub-history.ts — rebuild a raw history of some ops of a linearizability failure.
import type { OperationView } from '../../checker/linearizable/index.ts';
import type { Op } from '../../history/op.ts';

/**
 * subHistory rebuilds a history of just the ops `ids` from a failure's op views, in the same
 * real-time order, one process per op (so pairing cannot mix them up). With `concurrent`, every
 * invoke comes before every completion: real time is ignored, any order is allowed.
 */
export function subHistory(views: OperationView[], ids: number[], concurrent = false): Op[] {
  const wanted = new Set(ids);
  const events: { at: number; op: Omit<Op, 'index'> }[] = [];
  for (const view of views.filter((v) => wanted.has(v.id))) {
    const base = { process: view.id, f: view.f, ...(view.key === undefined ? {} : { key: view.key }) };
    events.push({ at: view.invokeIndex, op: { ...base, type: 'invoke', value: view.input } });
    if (view.returnIndex !== null) events.push({ at: view.returnIndex, op: { ...base, type: 'ok', value: view.output } });
  }
  events.sort((a, b) => (concurrent ? Number(a.op.type !== 'invoke') - Number(b.op.type !== 'invoke') : 0) || a.at - b.at);
  return events.map(({ op }, index) => ({ index, ...op }));
}
