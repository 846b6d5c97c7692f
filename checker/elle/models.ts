// checker/elle/models.ts — consistency models, the anomalies each forbids, and the weakest models an anomaly set violates.
//
// A small part of Elle's lattice (after Adya, Cerone and Bailis): each model lists the weaker
// models it implies and the anomalies it forbids directly; it forbids everything its weaker
// models forbid. Anomalies that mean a broken store or client (garbage reads, duplicates,
// incompatible orders, internal inconsistency) are forbidden by every model, so they are
// listed under read-uncommitted.
import type { AnomalyType, CycleAnomalyType } from './types.ts';

interface ModelSpec {
  weaker: string[];
  forbids: AnomalyType[];
}

const PROCESS_VARIANTS: CycleAnomalyType[] = ['G0-process', 'G1c-process', 'G-single-process', 'G-nonadjacent-process', 'G2-item-process'];
const REALTIME_VARIANTS: CycleAnomalyType[] = ['G0-realtime', 'G1c-realtime', 'G-single-realtime', 'G-nonadjacent-realtime', 'G2-item-realtime'];

const MODELS: Record<string, ModelSpec> = {
  'read-uncommitted': { weaker: [], forbids: ['G0', 'internal', 'garbage-read', 'duplicate-elements', 'incompatible-order', 'cyclic-versions', 'PL-1-cycle-exists'] },
  // Elle: a future read is a trivial wr cycle of one txn, so it implies G1c.
  'read-committed': { weaker: ['read-uncommitted'], forbids: ['G1a', 'G1b', 'G1c', 'dirty-update', 'future-read', 'PL-2-cycle-exists'] },
  'cursor-stability': { weaker: ['read-committed'], forbids: ['lost-update'] },
  'monotonic-atomic-view': { weaker: ['read-committed'], forbids: [] },
  'consistent-view': { weaker: ['read-committed'], forbids: ['G-single'] },
  'snapshot-isolation': { weaker: ['consistent-view', 'monotonic-atomic-view'], forbids: ['G-nonadjacent', 'lost-update', 'PL-SI-cycle-exists'] },
  'repeatable-read': { weaker: ['cursor-stability', 'monotonic-atomic-view'], forbids: ['G-single', 'G-nonadjacent', 'G2-item', 'PL-2.99-cycle-exists'] },
  'serializable': { weaker: ['repeatable-read', 'consistent-view'], forbids: [] },
  'strong-session-snapshot-isolation': { weaker: ['snapshot-isolation'], forbids: [
    'G0-process', 'G1c-process', 'G-single-process', 'G-nonadjacent-process',
    'strong-session-PL-1-cycle-exists', 'strong-session-PL-2-cycle-exists', 'strong-session-snapshot-isolation-cycle-exists',
  ] },
  'strong-session-serializable': { weaker: ['serializable', 'strong-session-snapshot-isolation'], forbids: [...PROCESS_VARIANTS, 'strong-session-serializable-cycle-exists'] },
  'strong-snapshot-isolation': { weaker: ['strong-session-snapshot-isolation'], forbids: [
    'G0-realtime', 'G1c-realtime', 'G-single-realtime', 'G-nonadjacent-realtime',
    'strong-PL-1-cycle-exists', 'strong-PL-2-cycle-exists', 'strong-snapshot-isolation-cycle-exists',
  ] },
  'strict-serializable': { weaker: ['strong-session-serializable', 'strong-snapshot-isolation'], forbids: [...REALTIME_VARIANTS, 'PL-SS-cycle-exists'] },
};

/** Other names for the models: Adya's PL levels and common spellings. */
const ALIASES: Record<string, string> = {
  'PL-1': 'read-uncommitted', 'PL-2': 'read-committed', 'PL-2+': 'consistent-view', 'PL-2.99': 'repeatable-read',
  'PL-3': 'serializable', 'PL-SI': 'snapshot-isolation', 'snapshot': 'snapshot-isolation', 'si': 'snapshot-isolation',
  'strict-1SR': 'strict-serializable', 'strict-serializability': 'strict-serializable', 'serializability': 'serializable',
  'strong-serializable': 'strict-serializable', 'update-serializable': 'serializable',
};

/** CONSISTENCY_MODEL_NAMES lists the canonical model names. */
export const CONSISTENCY_MODEL_NAMES: readonly string[] = Object.keys(MODELS);

/** canonicalModel resolves a model name or alias; throws naming the known models when unknown. */
export function canonicalModel(name: string): string {
  if (name in MODELS) return name;
  const alias = ALIASES[name] ?? ALIASES[name.toLowerCase()];
  if (alias !== undefined) return alias;
  throw new Error(`consistency model '${name}' is unknown; expected one of ${CONSISTENCY_MODEL_NAMES.join(', ')} (or ${Object.keys(ALIASES).join(', ')})`);
}

const forbiddenCache = new Map<string, Set<AnomalyType>>();

/** forbiddenBy is every anomaly `model` forbids, including through its weaker models. */
export function forbiddenBy(model: string): Set<AnomalyType> {
  const cached = forbiddenCache.get(model);
  if (cached !== undefined) return cached;
  const out = new Set<AnomalyType>();
  const todo = [canonicalModel(model)];
  const done = new Set<string>();
  while (todo.length > 0) {
    const m = todo.pop() as string;
    if (done.has(m)) continue;
    done.add(m);
    for (const a of MODELS[m].forbids) out.add(a);
    todo.push(...MODELS[m].weaker);
  }
  forbiddenCache.set(model, out);
  return out;
}

/** isWeaker says whether `weak` is implied by `strong` (strictly). */
function isWeaker(weak: string, strong: string): boolean {
  const todo = [...MODELS[strong].weaker];
  for (let guard = 0; todo.length > 0 && guard < 1000; guard++) {
    const m = todo.pop() as string;
    if (m === weak) return true;
    todo.push(...MODELS[m].weaker);
  }
  return false;
}

/** violatedModels splits the models `found` violates into the weakest ones (not) and the rest (also-not). */
export function violatedModels(found: readonly AnomalyType[]): { not: string[]; alsoNot: string[] } {
  const violated = CONSISTENCY_MODEL_NAMES.filter((m) => found.some((a) => forbiddenBy(m).has(a)));
  const not = violated.filter((m) => !violated.some((w) => w !== m && isWeaker(w, m)));
  return { not, alsoNot: violated.filter((m) => !not.includes(m)) };
}
