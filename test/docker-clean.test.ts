// test/docker-clean.test.ts — `clean` removes a dead control node's containers and networks, never a live one's (#19 item 4).
//
// Needs a Docker engine (scripts/docker-setup.sh starts one). With CI set, an unreachable
// engine fails the suite; otherwise the suite is skipped with a message saying how to enable it.
// Other runs may use the same engine at the same time: this test touches only what it created.
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerClient, dockerReachable } from '../cluster/docker/engine.ts';
import { OWNER_LABEL, RUN_LABEL } from '../cluster/docker/leftovers.ts';
import { tarBuffer } from '../cluster/docker/tar.ts';
import { currentOwner, formatOwner } from '../cluster/owner.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const docker = dockerClient();
const reachable = await dockerReachable(docker);
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const HOW = 'run `sudo bash scripts/docker-setup.sh` (installs and starts a Docker engine), or point DOCKER_HOST at one';
const suffix = randomBytes(3).toString('hex');
const IMAGE = `splitbrain-clean-test:${suffix}`;

/** importTinyImage imports an image holding one file: enough to create (never start) containers. */
async function importTinyImage(): Promise<void> {
  const tar = tarBuffer([{ kind: 'file', path: 'placeholder', data: Buffer.from('clean test\n'), mode: 0o644 }]);
  const [repo, tag] = IMAGE.split(':');
  const stream = await docker.importImage(Readable.from([tar]), { repo, tag });
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err) => (err === null ? resolve() : reject(err))));
}

/** leftover makes one run's container and network, labelled as a run of `owner`. */
async function leftover(runId: string, owner: string): Promise<void> {
  const labels = { [RUN_LABEL]: runId, [OWNER_LABEL]: owner };
  await docker.createContainer({ name: `splitbrain-${runId}-n1`, Image: IMAGE, Cmd: ['/placeholder'], Labels: labels });
  await docker.createNetwork({ Name: `splitbrain-${runId}-internal`, Driver: 'bridge', Internal: true, Labels: labels });
}

async function present(runId: string): Promise<{ containers: number; networks: number }> {
  const filters = { label: [`${RUN_LABEL}=${runId}`] };
  return { containers: (await docker.listContainers({ all: true, filters })).length, networks: (await docker.listNetworks({ filters })).length };
}

async function removeOwn(runId: string): Promise<void> {
  const filters = { label: [`${RUN_LABEL}=${runId}`] };
  for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
}

if (!reachable && inCi) {
  describe('docker clean', () => {
    it('needs a reachable Docker engine in CI', () => {
      throw new Error(`CI is set but no Docker engine answers: ${HOW}`);
    });
  });
} else if (!reachable) {
  process.stderr.write(`test/docker-clean.test.ts: skipped, no Docker engine answers: ${HOW}\n`);
  describe.skip('docker clean (no Docker engine)', () => {
    it('skipped', () => undefined);
  });
} else {
  const dead = `cleantest-dead-${suffix}`;
  const live = `cleantest-live-${suffix}`;
  const foreign = `cleantest-foreign-${suffix}`;
  afterAll(async () => {
    for (const runId of [dead, live, foreign]) await removeOwn(runId);
    await docker.getImage(IMAGE).remove({ force: true }).catch(() => undefined);
  });

  describe('docker clean (#19 item 4)', () => {
    it('removes the run of a dead control node and keeps a live one and one it cannot judge', async () => {
      await importTinyImage();
      const me = currentOwner();
      // Same host and boot, this pid but another start time: the process that made it is gone.
      await leftover(dead, formatOwner({ ...me, startTicks: me.startTicks - 1 }));
      // This test process: alive while `clean` runs.
      await leftover(live, formatOwner(me));
      // Another host: liveness cannot be told from here, so it is not touched.
      await leftover(foreign, formatOwner({ ...me, host: `elsewhere-${suffix}` }));
      for (const runId of [dead, live, foreign]) expect(await present(runId)).toEqual({ containers: 1, networks: 1 });

      const clean = await execa('node', ['--import', 'tsx', 'control/cli.ts', 'clean'], { cwd: ROOT, reject: false });
      expect(clean.exitCode, clean.stderr).toBe(0);
      expect(clean.stdout).toMatch(new RegExp(`removed docker run ${dead} \\(owner .*: dead\\): 1 containers, 1 networks`));
      expect(clean.stdout).not.toContain(live);
      expect(await present(dead)).toEqual({ containers: 0, networks: 0 });
      expect(await present(live)).toEqual({ containers: 1, networks: 1 });
      expect(await present(foreign)).toEqual({ containers: 1, networks: 1 });
    }, 120_000);
  });
}
