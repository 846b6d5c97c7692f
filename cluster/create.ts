// cluster/create.ts — build a Cluster backend by name (`--cluster local`).
import { DockerCluster, type DockerClusterOptions } from './docker/docker-cluster.ts';
import { LocalCluster, type LocalClusterOptions } from './local/local-cluster.ts';
import type { Cluster, ClusterSpec } from './types.ts';

/** CLUSTER_BACKENDS: the backends that exist today (docker and sim have their own issues). */
export const CLUSTER_BACKENDS: readonly string[] = ['local', 'docker'];

/** createCluster returns a backend that is not set up yet; throws naming the accepted backends. */
export function createCluster(
  backend: string,
  spec: ClusterSpec,
  localOptions: LocalClusterOptions = {},
  dockerOptions: DockerClusterOptions = {},
): Cluster {
  if (backend === 'local') return new LocalCluster(spec, localOptions);
  if (backend === 'docker') return new DockerCluster(spec, dockerOptions);
  throw new Error(`--cluster: unknown or unavailable backend ${JSON.stringify(backend)}; expected one of ${CLUSTER_BACKENDS.join(', ')}`);
}
