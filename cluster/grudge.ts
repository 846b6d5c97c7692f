// cluster/grudge.ts — what a Grudge means for one directed link, and its validation.
import type { Grudge } from './types.ts';

/**
 * linkCut tells whether data sent by `from` to `to` is dropped: a grudge names, for each
 * node, the nodes whose packets it drops (Jepsen's shape), so the link from→to is cut when
 * `to` holds a grudge against `from`. One-way grudges therefore cut one direction only.
 */
export function linkCut(grudge: Grudge, from: string, to: string): boolean {
  const dropped = grudge[to];
  return dropped !== undefined && dropped.includes(from);
}

/** pairCut tells whether a request/response exchange between a and b fails (either way cut). */
export function pairCut(grudge: Grudge, a: string, b: string): boolean {
  return linkCut(grudge, a, b) || linkCut(grudge, b, a);
}

/**
 * validateGrudge throws unless every node named is in `known` and no node drops its own
 * packets; the message names the offending entry.
 */
export function validateGrudge(grudge: Grudge, known: readonly string[]): void {
  for (const [node, dropped] of Object.entries(grudge)) {
    if (!known.includes(node)) throw new Error(`grudge: unknown node ${JSON.stringify(node)}; expected one of ${known.join(', ')}`);
    if (!Array.isArray(dropped)) throw new Error(`grudge: ${node}: expected a list of nodes`);
    for (const other of dropped) {
      if (!known.includes(other)) {
        throw new Error(`grudge: ${node}: unknown node ${JSON.stringify(other)}; expected one of ${known.join(', ')}`);
      }
      if (other === node) throw new Error(`grudge: ${node} cannot drop its own packets`);
    }
  }
}

/** completeGrudge cuts every node off from every node outside its component (Jepsen's complete-grudge). */
export function completeGrudge(components: readonly (readonly string[])[]): Grudge {
  const grudge: Grudge = {};
  const all = components.flat();
  if (new Set(all).size !== all.length) throw new Error('completeGrudge: a node appears in two components');
  for (const component of components) {
    for (const node of component) {
      const others = all.filter((n) => !component.includes(n));
      if (others.length > 0) grudge[node] = others;
    }
  }
  return grudge;
}

/** grudgeIsEmpty tells whether a grudge cuts nothing. */
export function grudgeIsEmpty(grudge: Grudge): boolean {
  return Object.values(grudge).every((dropped) => dropped.length === 0);
}
