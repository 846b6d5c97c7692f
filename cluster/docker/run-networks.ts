// cluster/docker/run-networks.ts — a run's two bridge networks: `internal` (node to node, fixed subnet) and `api` (published ports, no inter-container traffic).
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { pickSubnet } from './subnet.ts';

const NETWORK_CREATE_TRIES_MAX = 8;

/** RunNetworks: the networks' names and the internal subnet nodes get fixed addresses in. */
export interface RunNetworks {
  internal: string;
  api: string;
  subnet: string;
}

/**
 * createRunNetworks creates `splitbrain-<run>-internal` (Internal: no route out, a free subnet)
 * and `splitbrain-<run>-api` (enable_icc=false: containers on it cannot reach each other, so
 * node traffic stays on the internal network where partitions cut it). Both carry `labels`.
 */
export async function createRunNetworks(docker: Docker, runId: string, labels: Record<string, string>): Promise<RunNetworks> {
  const internal = `splitbrain-${runId}-internal`;
  const api = `splitbrain-${runId}-api`;
  let start = randomBytes(1)[0];
  let subnet: string;
  for (let attempt = 1; ; attempt++) {
    const taken = (await docker.listNetworks()).flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? ''));
    subnet = pickSubnet(taken, start);
    try {
      await docker.createNetwork({ Name: internal, Driver: 'bridge', Internal: true, CheckDuplicate: true, IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] }, Labels: labels });
      break;
    } catch (err) {
      // Another run may have taken the same subnet between listing and creating.
      if (attempt >= NETWORK_CREATE_TRIES_MAX || !/overlap|in use|conflict/i.test((err as Error).message)) throw err;
      start = (start + 1) % 256;
    }
  }
  await docker.createNetwork({ Name: api, Driver: 'bridge', CheckDuplicate: true, Options: { 'com.docker.network.bridge.enable_icc': 'false' }, Labels: labels });
  return { internal, api, subnet };
}
