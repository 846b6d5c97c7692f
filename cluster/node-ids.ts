// cluster/node-ids.ts — the names of a cluster's nodes: replicas n1..nN, plus `vs` for the view service.

/** VIEW_SERVER_ID: the view server's node name, present only in viewservice clusters. */
export const VIEW_SERVER_ID = 'vs';

/** nodeIds names the replicas n1..nN. */
export function nodeIds(nodeCount: number): string[] {
  if (!(Number.isSafeInteger(nodeCount) && nodeCount >= 1)) throw new Error(`nodeCount must be a positive integer, got ${nodeCount}`);
  return Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
}

/** allNodeIds: every process a cluster of `protocol` runs (the replicas, then `vs` for viewservice). */
export function allNodeIds(protocol: string, nodeCount: number): string[] {
  const replicas = nodeIds(nodeCount);
  return protocol === 'viewservice' ? [...replicas, VIEW_SERVER_ID] : replicas;
}
