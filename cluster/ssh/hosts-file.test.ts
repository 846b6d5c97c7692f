// cluster/ssh/hosts-file.test.ts — hosts.yaml: defaults, per-host overrides, and errors naming file:line and the key.
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../control/config.ts';
import { HostsFileError, parseHostsFile } from './hosts-file.ts';
import { checkHostKey, knownKeys } from './known-hosts.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-hosts-file-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('parseHostsFile', () => {
  it('applies top-level defaults, per-host overrides and resolves key paths from the file', () => {
    const file = write('ok.yaml', 'user: admin\nkey: keys/id_ed25519\nsudo: true\nhosts:\n  - 10.0.0.1\n  - { address: db2.example, port: 2222, user: root, sudo: false }\n  - { address: 10.0.0.3, agent: true }\n');
    const parsed = parseHostsFile(file);
    expect(parsed.hosts).toEqual([
      { address: '10.0.0.1', port: 22, user: 'admin', keyFile: path.join(dir, 'keys/id_ed25519'), sudo: true, origin: `${file}:5: hosts[0]` },
      { address: 'db2.example', port: 2222, user: 'root', keyFile: path.join(dir, 'keys/id_ed25519'), sudo: false, origin: `${file}:6: hosts[1]` },
      { address: '10.0.0.3', port: 22, user: 'admin', keyFile: null, sudo: true, origin: `${file}:7: hosts[2]` },
    ]);
    expect(parsed.origin).toBe(`${file}:4: hosts`);
    expect(parsed.knownHosts).toBe(path.join(os.homedir(), '.ssh', 'known_hosts'));
    expect(parsed.aptInstall).toBe(false);
  });

  const bad: [string, string, RegExp][] = [
    ['unknown key', 'hosts:\n  - 10.0.0.1\n  - address: 10.0.0.2\n    prot: 22\n', /bad-0\.yaml:4: hosts\[1\]\.prot: /],
    ['bad port', 'port: 22\nhosts:\n  - address: 10.0.0.1\n    port: 70000\n', /bad-1\.yaml:4: hosts\[0\]\.port: /],
    ['no hosts', 'user: root\n', /bad-2\.yaml:1: hosts: /],
    ['bad address', 'hosts:\n  - 10.0.0.1\n  - "a b"\n', /bad-3\.yaml:3: hosts\[1\]\.address: an IP address or host name/],
    ['a host twice', 'hosts:\n  - 10.0.0.1\n  - 10.0.0.1\n', /bad-4\.yaml:3: hosts\[1\]: 10\.0\.0\.1:22 is listed twice/],
    ['not YAML', 'hosts: [10.0.0.1\n', /bad-5\.yaml:\d+: not YAML/],
  ];
  for (const [i, [what, text, message]] of bad.entries()) {
    it(`refuses ${what} naming file:line and the key`, () => {
      const file = write(`bad-${i}.yaml`, text);
      expect(() => parseHostsFile(file)).toThrow(HostsFileError);
      expect(() => parseHostsFile(file)).toThrow(message);
    });
  }

  it('is checked when options are resolved: a usage error (exit 3)', () => {
    const file = write('cli.yaml', 'hosts:\n  - address: 10.0.0.1\n    sudo: maybe\n');
    expect(() => resolveOptions({ cluster: 'ssh', hosts: file })).toThrow(expect.objectContaining({ name: 'UsageError', message: expect.stringMatching(/cli\.yaml:3: hosts\[0\]\.sudo: /) }));
    expect(() => resolveOptions({ cluster: 'ssh' })).toThrow(/--cluster ssh: expected --hosts/);
    expect(() => resolveOptions({ cluster: 'local', hosts: file })).toThrow(/--hosts: only with --cluster ssh/);
  });
});

describe('known_hosts', () => {
  const key = Buffer.from('an ed25519 key blob');
  const other = Buffer.from('another key blob');
  it('matches plain, [host]:port and hashed names; refuses a different key and an unknown host', () => {
    const salt = Buffer.from('0123456789abcdef0123');
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.2]:2222').digest('base64')}`;
    const file = write('known_hosts', `# comment\n10.0.0.1,h1 ssh-ed25519 ${key.toString('base64')}\n${hashed} ssh-ed25519 ${key.toString('base64')}\n`);
    expect(checkHostKey(file, '10.0.0.1', 22, key)).toBeNull();
    expect(checkHostKey(file, '10.0.0.2', 2222, key)).toBeNull();
    expect(checkHostKey(file, '10.0.0.2', 22, key)).toMatch(/is not in/);
    expect(checkHostKey(file, '10.0.0.1', 22, other)).toMatch(/does not match/);
    expect(knownKeys(`@revoked 10.0.0.1 ssh-ed25519 ${key.toString('base64')}\n`, '10.0.0.1', 22).revoked.size).toBe(1);
    expect(checkHostKey(path.join(dir, 'none'), '10.0.0.1', 22, key)).toMatch(/cannot read known_hosts/);
  });
});
