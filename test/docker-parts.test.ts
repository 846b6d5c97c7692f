// test/docker-parts.test.ts — the docker backend's pure parts: tar writer, subnet choice, DOCKER_HOST, log demux.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demuxLogs, publishTarget } from '../cluster/docker/engine.ts';
import { cidrRange, hostAddress, overlaps, pickSubnet } from '../cluster/docker/subnet.ts';
import { tarBuffer } from '../cluster/docker/tar.ts';

describe('tarBuffer', () => {
  it('writes an archive GNU tar extracts byte for byte (long paths, modes, dirs, symlinks)', () => {
    const long = `${'deep/'.repeat(30)}file.bin`;
    const data = Buffer.from(Array.from({ length: 1500 }, (_, i) => i % 251));
    const archive = tarBuffer([
      { kind: 'dir', path: 'usr/bin' },
      { kind: 'file', path: 'usr/bin/tool', data: Buffer.from('#!x\n'), mode: 0o755 },
      { kind: 'file', path: long, data },
      { kind: 'file', path: 'empty', data: Buffer.alloc(0) },
      { kind: 'symlink', path: 'link', target: 'usr/bin/tool' },
    ]);
    expect(archive.length % 512).toBe(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-tar-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.tar'), archive);
      fs.mkdirSync(path.join(dir, 'x'));
      execFileSync('tar', ['-xf', path.join(dir, 'a.tar'), '-C', path.join(dir, 'x')]);
      expect(fs.readFileSync(path.join(dir, 'x/usr/bin/tool'), 'utf8')).toBe('#!x\n');
      expect(fs.statSync(path.join(dir, 'x/usr/bin/tool')).mode & 0o777).toBe(0o755);
      expect(fs.readFileSync(path.join(dir, 'x', long)).equals(data)).toBe(true);
      expect(fs.statSync(path.join(dir, 'x/empty')).size).toBe(0);
      expect(fs.readlinkSync(path.join(dir, 'x/link'))).toBe('usr/bin/tool');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects absolute paths', () => {
    expect(() => tarBuffer([{ kind: 'dir', path: '/etc' }])).toThrow(/relative/);
  });
});

describe('subnets', () => {
  it('parses and compares CIDRs', () => {
    expect(cidrRange('172.28.5.0/24')).toEqual([(172 * 2 ** 24) + (28 << 16) + (5 << 8), (172 * 2 ** 24) + (28 << 16) + (5 << 8) + 255]);
    expect(overlaps('172.16.0.0/12', '172.28.3.0/24')).toBe(true);
    expect(overlaps('172.17.0.0/16', '172.28.3.0/24')).toBe(false);
    expect(hostAddress('172.28.7.0/24', 10)).toBe('172.28.7.10');
  });

  it('pickSubnet never returns a subnet overlapping a taken one', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 255 }), fc.integer({ min: 0, max: 255 }), (used, start) => {
        const taken = [...used.map((n) => `172.28.${n}.0/24`), '172.17.0.0/16', 'fd00::/64'];
        const picked = pickSubnet(taken, start);
        expect(taken.filter((t) => !t.includes(':')).some((t) => overlaps(t, picked))).toBe(false);
      }),
    );
    expect(() => pickSubnet(['172.28.0.0/16'])).toThrow(/overlaps/);
  });
});

describe('publishTarget', () => {
  it('binds to loopback for a local engine and to the engine host for a remote one', () => {
    expect(publishTarget(undefined)).toEqual({ bindIp: '127.0.0.1', urlHost: '127.0.0.1' });
    expect(publishTarget('unix:///var/run/docker.sock')).toEqual({ bindIp: '127.0.0.1', urlHost: '127.0.0.1' });
    expect(publishTarget('tcp://127.0.0.1:2375')).toEqual({ bindIp: '127.0.0.1', urlHost: '127.0.0.1' });
    expect(publishTarget('tcp://docker-box.example:2376')).toEqual({ bindIp: '0.0.0.0', urlHost: 'docker-box.example' });
    expect(publishTarget('ssh://me@builder')).toEqual({ bindIp: '0.0.0.0', urlHost: 'builder' });
    expect(() => publishTarget('not a url')).toThrow(/DOCKER_HOST/);
  });
});

describe('demuxLogs', () => {
  it('joins multiplexed frames and passes plain text through', () => {
    const frame = (stream: number, text: string): Buffer => {
      const body = Buffer.from(text);
      const head = Buffer.alloc(8);
      head[0] = stream;
      head.writeUInt32BE(body.length, 4);
      return Buffer.concat([head, body]);
    };
    expect(demuxLogs(Buffer.concat([frame(2, 'a line\n'), frame(1, 'out\n')]))).toBe('a line\nout\n');
    expect(demuxLogs(Buffer.from('plain text log\n'))).toBe('plain text log\n');
  });
});
