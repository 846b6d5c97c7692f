// cluster/node-slots.ts — a backend's per-node state looked up by name, with the one error every backend gives.

/**
 * nodeSlot: the slot of `node` in a backend's map. Throws naming the known nodes when the
 * cluster has no such node, or saying the cluster is not set up when it has but setup has not
 * made the slot yet (or teardown removed it).
 */
export function nodeSlot<S>(slots: ReadonlyMap<string, S>, allNodes: readonly string[], node: string): S {
  const slot = slots.get(node);
  if (slot === undefined) {
    if (!allNodes.includes(node)) throw new Error(`unknown node ${JSON.stringify(node)}; expected one of ${allNodes.join(', ')}`);
    throw new Error(`node ${node}: cluster not set up`);
  }
  return slot;
}
