// test/docker-package-image.test.ts — image content from host Debian packages: files, users, owners, cache key, and a real run.
//
// The engine half needs a Docker engine (scripts/docker-setup.sh); with CI set, an unreachable
// engine fails, otherwise it is skipped with a message. The rest needs only dpkg.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockerClient, dockerReachable } from '../cluster/docker/engine.ts';
import { ensureImage } from '../cluster/docker/image.ts';
import { addPackageFiles, packageFilesKey } from '../cluster/docker/package-image.ts';
import { RootFsBuilder, sharedLibraries } from '../cluster/docker/rootfs.ts';
import type { TarEntry } from '../cluster/docker/tar.ts';
import { hostUser, missingPackages, requirePackages } from '../cluster/host-packages.ts';
import type { ImageContent } from '../cluster/types.ts';

const docker = dockerClient();
const reachable = await dockerReachable(docker);
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const HOW = 'run `sudo bash scripts/docker-setup.sh` (installs and starts a Docker engine), or point DOCKER_HOST at one';

/** The smallest useful DB image: a shell, run as postgres (the user postgresql-15 installs), with a data dir it owns. */
const SHELL_SPEC: ImageContent = { name: 'test-dash', packages: ['dash'], users: ['postgres'], dirs: [{ path: '/data', user: 'postgres', mode: 0o700 }] };

function entryAt(entries: TarEntry[], path: string): TarEntry | undefined {
  return entries.find((e) => e.path === path);
}

/** packageEntries: what a content's packages add to an image laid out like the host's /usr. */
function packageEntries(content: ImageContent): TarEntry[] {
  const b = new RootFsBuilder();
  b.mergedUsrLikeHost();
  addPackageFiles(b, content);
  return b.entries;
}

describe('DB images from host packages', () => {
  it('names missing packages and how to install them, in one line', () => {
    expect(missingPackages(['dash', 'no-such-package-splitbrain'])).toEqual(['no-such-package-splitbrain']);
    expect(() => requirePackages('--db demo', ['dash', 'no-such-package-splitbrain'])).toThrow(
      '--db demo needs the Debian package no-such-package-splitbrain: `apt-get install no-such-package-splitbrain`',
    );
    expect(() => packageEntries({ name: 'x', packages: ['no-such-package-splitbrain'] })).toThrow(/apt-get install no-such-package-splitbrain/);
  });

  it('copies the package files through merged /usr, with the loader and libraries ldd names', () => {
    const entries = packageEntries(SHELL_SPEC);
    const dash = fs.realpathSync('/bin/dash').slice(1);
    expect(entryAt(entries, dash)).toMatchObject({ kind: 'file', mode: 0o755 });
    if (fs.lstatSync('/bin').isSymbolicLink()) expect(entryAt(entries, 'bin')).toEqual({ kind: 'symlink', path: 'bin', target: fs.readlinkSync('/bin') });
    for (const lib of sharedLibraries('/bin/dash')) {
      const placed = `${fs.realpathSync(lib.slice(0, lib.lastIndexOf('/')))}/${lib.slice(lib.lastIndexOf('/') + 1)}`.slice(1);
      expect(entryAt(entries, placed), placed).toBeDefined();
    }
    expect(entries.some((e) => e.path.startsWith('usr/share/doc/'))).toBe(false);
  });

  it('leaves the libraries to the packages when they hold them (packagesHoldLibraries: no ldd)', () => {
    // dash alone does not hold libc: with the flag the image has dash and no library of ldd's.
    const entries = packageEntries({ ...SHELL_SPEC, packagesHoldLibraries: true });
    expect(entryAt(entries, fs.realpathSync('/bin/dash').slice(1))).toMatchObject({ kind: 'file' });
    const libc = sharedLibraries('/bin/dash').find((l) => /libc\.so/.test(l))!;
    const placed = (lib: string): string => `${fs.realpathSync(lib.slice(0, lib.lastIndexOf('/')))}/${lib.slice(lib.lastIndexOf('/') + 1)}`.slice(1);
    expect(entryAt(entries, placed(libc))).toBeUndefined();
    expect(entryAt(packageEntries(SHELL_SPEC), placed(libc))).toBeDefined();
  });

  it('writes the users into /etc/passwd and /etc/group and gives them their dirs', () => {
    const user = hostUser('postgres');
    expect(user).not.toBeNull();
    const entries = packageEntries(SHELL_SPEC);
    const passwd = entryAt(entries, 'etc/passwd');
    expect(passwd?.kind === 'file' && passwd.data.toString()).toContain(`${user!.passwdLine}\n`);
    const group = entryAt(entries, 'etc/group');
    expect(group?.kind === 'file' && group.data.toString()).toContain(`:x:${user!.gid}:\n`);
    expect(entryAt(entries, 'data')).toEqual({ kind: 'dir', path: 'data', mode: 0o700, owner: { uid: user!.uid, gid: user!.gid } });
    expect(() => packageEntries({ ...SHELL_SPEC, users: ['no-such-user-splitbrain'] })).toThrow(/user no-such-user-splitbrain does not exist/);
    expect(() => packageEntries({ ...SHELL_SPEC, users: [] })).toThrow(/owned by postgres, who is not in users/);
  });

  it('keys the package files by what decides them, without reading them', () => {
    const key = packageFilesKey(SHELL_SPEC);
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(packageFilesKey(SHELL_SPEC)).toBe(key);
    expect(packageFilesKey({ ...SHELL_SPEC, exclude: ['/usr/share/debianutils'] })).not.toBe(key);
    expect(packageFilesKey({ ...SHELL_SPEC, name: 'other' })).toBe(key);
    expect(packageFilesKey({ ...SHELL_SPEC, packagesHoldLibraries: true })).not.toBe(key);
  });
});

if (!reachable && inCi) {
  describe('DB images in a Docker engine', () => {
    it('needs a reachable Docker engine in CI', () => {
      throw new Error(`CI is set but no Docker engine answers: ${HOW}`);
    });
  });
} else if (!reachable) {
  process.stderr.write(`test/docker-package-image.test.ts: skipped, no Docker engine answers: ${HOW}\n`);
  describe.skip('DB images in a Docker engine (no Docker engine)', () => {
    it('skipped', () => undefined);
  });
} else {
  describe('DB images in a Docker engine', () => {
    it('imports once, then finds the image by key; it runs as the DB user in the dir it owns', async () => {
      const first = await ensureImage(docker, SHELL_SPEC);
      expect(first.image).toMatch(/^splitbrain-node:test-dash-[0-9a-f]{16}$/);
      const again = await ensureImage(docker, SHELL_SPEC);
      expect(again).toEqual({ image: first.image, built: false });
      const container = await docker.createContainer({
        Image: first.image,
        User: 'postgres',
        Cmd: ['/bin/sh', '-c', 'echo written > /data/probe && read line < /data/probe && echo "$line"'],
        HostConfig: { NetworkMode: 'none' },
        Labels: { 'splitbrain.test': 'h-pg-package-image' },
      });
      try {
        await container.start();
        const exit = (await container.wait()) as { StatusCode: number };
        const logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
        expect(exit.StatusCode, logs).toBe(0);
        expect(logs).toContain('written');
      } finally {
        await container.remove({ force: true });
      }
    }, 120_000);
  });
}
