// nemesis/faults/pick.ts — one seeded choice from a list, for the kinds' draws.
import type { Rng } from '../../lib/rng.ts';

/** pick draws one item; an empty list is a configuration error. */
export function pick<T>(items: readonly T[], rng: Rng): T {
  if (items.length === 0) throw new Error('schedule: nothing to choose from');
  return items[rng.int(items.length)];
}
