// control/runner/kv-clients.ts — opens an rsm KvClient per process (the ClientFactory of real runs).
import type { Cluster } from '../../cluster/types.ts';
import { KvClient, type ClientMode } from '../../rsm/client/client.ts';
import type { TestOptions } from '../config.ts';
import type { ClientFactory } from './interpreter.ts';

/** REQUEST_TIMEOUT_MS: one HTTP exchange; past it the op is info (the runner bounds the whole op). */
const REQUEST_TIMEOUT_MS = 1500;

/**
 * clientMode: how the client library routes for each protocol — naive clients write to every
 * copy themselves, primary/backup clients fail over on their own timeouts (the lectures'
 * attempt 2), the others follow the redirects of the primary or leader.
 */
export function clientMode(protocol: string): ClientMode {
  switch (protocol) {
    case 'naive':
      return 'fanout';
    case 'primary-backup':
      return 'failover-on-timeout';
    case 'single':
      return 'single-node';
    default:
      return 'follow-redirect';
  }
}

/**
 * kvClients: one KvClient per process, first talking to its thread's node. With
 * --partition-clients a client sits on its node's side of a cut: it reaches every node through
 * cluster.clientEndpoint(target, itsNode), which the partition cuts like node links.
 */
export function kvClients(cluster: Cluster, opts: TestOptions): ClientFactory {
  const mode = clientMode(opts.db);
  return {
    open: (node, proc) => {
      const endpoints: Record<string, string> = {};
      for (const target of cluster.nodes) {
        const side = opts.partitionClients ? node : undefined;
        endpoints[target] = cluster.clientEndpoint(target, side).httpUrl;
      }
      return new KvClient({ endpoints, preferred: node, mode, requestTimeoutMs: REQUEST_TIMEOUT_MS, clientId: `p${proc}-${opts.seed}` });
    },
  };
}
