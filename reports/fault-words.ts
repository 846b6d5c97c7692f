// reports/fault-words.ts — a nemesis op in words ("partition: n1 | n2 n3 (majority)", "killed n2"), by its kind's module.
import { faultOfF } from '../nemesis/faults/registry.ts';

/**
 * faultWords says what one nemesis op did, from its invoke's value and (when it completed)
 * its completion's value, in its kind's words; an op no kind knows is its f and value.
 */
export function faultWords(f: string, invoke: unknown, outcome: unknown): string {
  const kind = faultOfF(f);
  if (kind !== undefined) return kind.report.words(f, invoke, outcome);
  return invoke === undefined ? f : `${f} ${JSON.stringify(invoke)}`;
}
