// workloads/final-reads.ts — whether the final reads (after healing) agree: diverged copies answer differently.
import type { Pair } from '../history/pair.ts';

/** FinalDisagreement: final reads (after healing, workload stopped) that saw different states. */
export interface FinalDisagreement {
  values: Array<{ value: unknown; node?: string; opIndex: number }>;
}

/**
 * finalReadsDisagree compares the ok final reads (f `final-read`): they run after every fault
 * is healed and every client op has completed, one through each thread's node, so replicas
 * that never converged (diverged copies) answer differently. Returns undefined when they agree.
 */
export function finalReadsDisagree(pairs: readonly Pair[]): FinalDisagreement | undefined {
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
