// reports/convergence-view.ts — the convergence result's verdict line, and the sentence that tells "not linearizable" from "broken".
//
// An eventually consistent store fails linearizability by design; the reader needs to be told
// whether that is the whole story (it converged) or whether the store is broken (it did not).
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** isConvergenceResult: the shape checker/convergence writes. */
export function isConvergenceResult(result: Json): boolean {
  return result.kind === 'convergence' && isObject(result.staleReads) && Array.isArray(result.nodes);
}

/** staleWords: "12 stale reads during faults (the stalest 840 ms behind an acknowledged write)". */
function staleWords(result: Json): string {
  const stale = result.staleReads as Json;
  const count = typeof stale.count === 'number' ? stale.count : 0;
  if (count === 0) return 'no stale reads';
  const max = typeof stale.staleMsMax === 'number' ? ` (the stalest ${Math.round(stale.staleMsMax)} ms behind an acknowledged write)` : '';
  return `${count} stale read${count === 1 ? '' : 's'}${max}`;
}

/** convergenceSummary: the verdict row's line. */
export function convergenceSummary(result: Json): string {
  if (!isConvergenceResult(result)) return '';
  const anomalies = Array.isArray(result.anomalies) ? result.anomalies.map(String) : [];
  const head = anomalies.length > 0 ? anomalies[0] : `${String(result.keyCount)} keys agree on ${(result.nodes as unknown[]).join(', ')}, every acknowledged write present or superseded`;
  return `${head}; ${staleWords(result)}`;
}

/**
 * consistencySentence: for a run checked for both linearizability and convergence (a
 * register run on a last-writer-wins store), one sentence in words for the verdict card;
 * undefined for any other run.
 */
export function consistencySentence(results: unknown): string | undefined {
  if (!isObject(results)) return undefined;
  const checker = isObject(results.checker) ? results.checker : results;
  const linear = checker.linearizable;
  const convergence = checker.convergence;
  if (!isObject(linear) || !isObject(convergence) || !isConvergenceResult(convergence)) return undefined;
  const stale = staleWords(convergence);
  if (convergence.valid === false) {
    return 'Did not converge: after the faults healed and a quiet period the replicas still answer differently or have lost an acknowledged write, so this store breaks even eventual consistency, not only linearizability.';
  }
  if (convergence.valid !== true) {
    return 'Convergence unknown: some replica gave no final read after the heal, so whether the replicas agree could not be checked.';
  }
  if (linear.valid === false) {
    return `Not linearizable, but converged: while faults lasted, replicas answered from their own copies (${stale}), which an eventually consistent store is allowed to do; once the network healed, every replica returned the same value and kept every acknowledged write or a newer one. The store keeps its weaker promise; it does not keep linearizability's.`;
  }
  return `Linearizable and converged: every replica returned the same value after the heal (${stale}).`;
}
