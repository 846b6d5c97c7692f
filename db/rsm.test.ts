// db/rsm.test.ts — what each rsm protocol supports per cluster kind: the fault table, pinned.
import { describe, expect, it } from 'vitest';
import type { FaultModule } from '../nemesis/faults/fault.ts';
import { FAULTS } from '../nemesis/faults/registry.ts';
import { PROTOCOLS } from '../rsm/protocols.ts';
import { createRsmDb } from './rsm.ts';

/** The faults every protocol takes: those that leave the set of servers as it is. */
const FIXED = ['partition', 'kill', 'pause', 'clock', 'packet', 'lose-unsynced', 'corrupt-file'];

/** The table as it stood when it was written out by hand (db/rsm.ts, session 5); the registry-derived one must equal it. */
const EXPECTED: Record<string, Record<string, readonly string[]>> = {
  raft: { local: [...FIXED, 'membership'], docker: [...FIXED, 'membership'], sim: FIXED, ssh: FIXED },
  viewservice: { local: [...FIXED, 'replace'], docker: FIXED, sim: FIXED, ssh: FIXED },
};
const OTHERS = { local: FIXED, docker: FIXED, sim: FIXED, ssh: FIXED };

describe('the rsm Db', () => {
  const replicaProtocols = Object.entries(PROTOCOLS).filter(([, p]) => p.role === 'replica').map(([name]) => name);

  it.each(replicaProtocols)('%s supports the same faults per cluster kind as the hand-written table did', (protocol) => {
    const db = createRsmDb({ protocol, nodeCount: 3 });
    expect(db.support.clusters).toEqual(EXPECTED[protocol] ?? OTHERS);
  });

  it('offers every protocol each registered kind that keeps the servers, on every cluster kind', () => {
    const keeping = (FAULTS as readonly FaultModule[]).filter((m) => m.changesServers === undefined).map((m) => m.kind);
    expect(keeping).toEqual(FIXED);
    for (const protocol of replicaProtocols) {
      for (const offered of Object.values(createRsmDb({ protocol, nodeCount: 3 }).support.clusters)) expect(offered).toEqual(expect.arrayContaining(keeping));
    }
  });
});
