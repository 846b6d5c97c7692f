// test/support/sshd-hosts.ts — N containers running sshd on an internal network: "machines" for --cluster ssh.
//
// The image is built from host files as the docker cluster builds its node images
// (cluster/docker/image.ts: node, iptables, tc, libfaketime), plus sshd, a POSIX shell and the
// few tools a host has (setsid, ip, ss, tail, ...), etcd, and sudo for SUDO_USER, a login that is
// not root with passwordless sudo. Keys are made per fixture with ssh-keygen: one client key
// (authorized for root and SUDO_USER) and one host key per container, written to a known_hosts
// file beside hosts.yaml. inspect() reads back what a run could leave on a host. With `apt`, the
// hosts are instead Debian systems apt-get works on, without etcd (apt-host.ts).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { execIn } from '../../cluster/docker/engine.ts';
import { ensureImage, IMAGE_PATHS } from '../../cluster/docker/image.ts';
import { OWNER_LABEL, RUN_LABEL } from '../../cluster/docker/leftovers.ts';
import { tarBuffer } from '../../cluster/docker/tar.ts';
import { currentOwner, formatOwner } from '../../cluster/owner.ts';
import { aptHostContent, type AptRepo } from './apt-host.ts';

const TOOLS = ['/usr/bin/cat', '/usr/bin/mkdir', '/usr/bin/rm', '/usr/bin/mv', '/usr/bin/chmod', '/usr/bin/chown', '/usr/bin/env', '/usr/bin/sleep', '/usr/bin/setsid',
  '/usr/bin/tail', '/usr/bin/wc', '/usr/bin/touch', '/usr/bin/grep', '/usr/bin/id', '/usr/bin/ps', '/usr/bin/ls', '/usr/sbin/ip', '/usr/bin/ss', '/usr/bin/setpriv', '/usr/bin/tar'];
/** ETCD: etcd's binary, which the hosts have unless they are to apt-get it. */
const ETCD = '/usr/bin/etcd';

/** SUDO_USER: a host login that is not root and may run anything under `sudo -n` (the hosts file's sudo: true). */
export const SUDO_USER = 'sbadmin';
const SUDO_UID = 1500;

/**
 * SUDO_FILES: sudo (setuid, from this machine: .ci/run installs it) with a sudoers that lets
 * SUDO_USER in without a password, and a PAM stack of pam_permit only: the container has no
 * PAM configuration, and no password is ever asked.
 */
const SUDO_FILES = [
  { target: '/etc/sudoers', source: Buffer.from(`Defaults env_reset\nDefaults !syslog\nroot ALL=(ALL:ALL) ALL\n${SUDO_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n`), mode: 0o440 },
  { target: '/etc/pam.d/sudo', source: Buffer.from('auth required pam_permit.so\naccount required pam_permit.so\nsession required pam_permit.so\n') },
  { target: '/etc/pam.d/other', source: Buffer.from('auth required pam_deny.so\naccount required pam_deny.so\nsession required pam_deny.so\n') },
];
/** PAM_DIR: this machine's PAM modules (Debian's multiarch path). */
const PAM_DIR = `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/security`;
const SUDO_EXECUTABLES = ['/usr/bin/sudo', '/usr/libexec/sudo/sudoers.so', `${PAM_DIR}/pam_permit.so`, `${PAM_DIR}/pam_deny.so`];

const SSHD_CONFIG = `Port 22
ListenAddress 0.0.0.0
HostKey /etc/splitbrain/host_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile /etc/splitbrain/authorized_keys
UsePAM no
StrictModes no
PidFile /run/sshd.pid
# A client gone without a FIN (its link cut) is noticed in ~3 s, so the run's watchdog cleans up.
ClientAliveInterval 1
ClientAliveCountMax 3
`;

/** INSPECT_SEPARATOR: the line between the parts of inspect()'s one script. */
const INSPECT_SEPARATOR = '--splitbrain-inspect--';

/** HostExtras: what the hosts hold besides sshd, the tools and etcd. */
export interface HostExtras {
  packages?: readonly string[];
  exclude?: readonly string[];
  users?: readonly string[];
  /** Hosts that are Debian systems with apt-get and only `apt`'s repository as their source, without etcd (apt-host.ts). */
  apt?: AptRepo;
}

/** hostUser: this machine's passwd and group lines of `name` (its home and shell kept; the DB only runs as it). */
function hostUser(name: string): { passwd: string; group: string } {
  const passwd = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
  const gid = passwd.split(':')[3];
  const group = execFileSync('getent', ['group', gid], { encoding: 'utf8' }).trim().split(':').slice(0, 3).join(':');
  return { passwd: `${passwd}\n`, group: `${group}:\n` };
}

/** SshdHost: one container and its address on the internal network. */
export interface SshdHost {
  container: Docker.Container;
  address: string;
}

/** HostLeftovers: what inspect() finds of a run on a host (all empty when it left nothing). */
export interface HostLeftovers {
  /** Processes other than sshd and the inspecting ps. */
  processes: string[];
  /** iptables rules or chains of splitbrain (SB...). */
  rules: string[];
  /** Qdiscs other than the kernel's default. */
  qdiscs: string[];
  /** Entries of /tmp/splitbrain-ssh. */
  runDirs: string[];
}

/** SshdHosts: the fixture: containers, keys, hosts.yaml and known_hosts. */
export class SshdHosts {
  private constructor(readonly docker: Docker, readonly id: string, readonly network: string, readonly hosts: SshdHost[], readonly dir: string) {}

  get hostsYaml(): string {
    return path.join(this.dir, 'hosts.yaml');
  }
  get knownHosts(): string {
    return path.join(this.dir, 'known_hosts');
  }
  get clientKey(): string {
    return path.join(this.dir, 'client_key');
  }

  /**
   * start builds the image (cached by hash), the network and `count` hosts, and writes hosts.yaml
   * and known_hosts. `packages`: Debian packages of this machine the hosts get installed (as a
   * DB's docker image gets them), `users` the host users they need (postgres runs as its own).
   */
  static async start(docker: Docker, count: number, id: string, extra: HostExtras = {}): Promise<SshdHosts> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sb-sshd-${id}-`));
    const keygen = (file: string): void => {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'splitbrain-test', '-f', file]);
    };
    keygen(path.join(dir, 'client_key'));
    const users = (extra.users ?? []).map(hostUser);
    const apt = extra.apt === undefined ? null : aptHostContent(extra.apt, extra.packages ?? []);
    const image = await ensureImage(docker, {
      name: apt === null ? 'sshd-host' : 'sshd-apt-host',
      packages: apt?.packages ?? extra.packages,
      packagesHoldLibraries: apt?.packagesHoldLibraries,
      exclude: [...(extra.exclude ?? []), ...(apt?.exclude ?? [])],
      executables: [{ source: '/usr/sbin/sshd' }, { source: '/usr/bin/dash', target: '/usr/bin/sh' }, ...[...TOOLS, ...(apt === null ? [ETCD] : []), ...SUDO_EXECUTABLES].map((source) => ({ source }))],
      trees: apt?.trees,
      files: [
        { target: '/etc/splitbrain/sshd_config', source: Buffer.from(SSHD_CONFIG) },
        { target: '/etc/passwd', source: Buffer.from(`root:x:0:0:root:/root:/bin/sh\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n${SUDO_USER}:x:${SUDO_UID}:${SUDO_UID}::/tmp:/bin/sh\n${apt?.passwd ?? ''}${users.map((u) => u.passwd).join('')}`) },
        { target: '/etc/group', source: Buffer.from(`root:x:0:\nnogroup:x:65534:\n${SUDO_USER}:x:${SUDO_UID}:\n${users.map((u) => u.group).join('')}`) },
        ...SUDO_FILES,
        ...(apt?.files ?? []),
      ],
      dirs: [{ path: '/run/sshd' }, { path: '/root', mode: 0o700 }, { path: '/var/tmp', mode: 0o1777 }, ...(apt?.dirs ?? [])],
    });
    const labels = { [RUN_LABEL]: id, [OWNER_LABEL]: formatOwner(currentOwner()) };
    const network = `splitbrain-${id}-hosts`;
    await docker.createNetwork({ Name: network, Driver: 'bridge', Internal: true, CheckDuplicate: true, Labels: labels });
    const hosts: SshdHost[] = [];
    const known: string[] = [];
    try {
      for (let k = 0; k < count; k++) {
        const hostKey = path.join(dir, `host_key_${k}`);
        keygen(hostKey);
        const container = await docker.createContainer({
          name: `splitbrain-${id}-host${k + 1}`,
          Image: image.image,
          Cmd: ['/usr/sbin/sshd', '-D', '-e', '-f', '/etc/splitbrain/sshd_config'],
          Labels: labels,
          HostConfig: { NetworkMode: network, CapAdd: ['NET_ADMIN'] },
        });
        await container.putArchive(tarBuffer([
          { kind: 'dir', path: 'splitbrain', mode: 0o755 },
          { kind: 'file', path: 'splitbrain/host_key', data: fs.readFileSync(hostKey), mode: 0o600 },
          { kind: 'file', path: 'splitbrain/authorized_keys', data: fs.readFileSync(path.join(dir, 'client_key.pub')), mode: 0o644 },
        ]), { path: '/etc' });
        await container.start();
        const info = await container.inspect();
        const address = info.NetworkSettings.Networks[network].IPAddress;
        hosts.push({ container, address });
        known.push(`${address} ${fs.readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}`);
      }
      fs.writeFileSync(path.join(dir, 'known_hosts'), `${known.join('\n')}\n`);
      const fixture = new SshdHosts(docker, id, network, hosts, dir);
      fixture.writeHostsYaml();
      // Inside the try: a host whose sshd never comes up must not leave the containers and network behind (the caller has no fixture to stop).
      await fixture.waitForSshd();
      return fixture;
    } catch (err) {
      await new SshdHosts(docker, id, network, hosts, dir).stop();
      throw err;
    }
  }

  /** writeHostsYaml: the hosts file a run uses (extra top-level lines go in first). */
  writeHostsYaml(extra = ''): void {
    fs.writeFileSync(this.hostsYaml, `${extra}user: root\nkey: client_key\nknown-hosts: known_hosts\nhosts:\n${this.hosts.map((h) => `  - ${h.address}\n`).join('')}`);
  }

  /**
   * writeHostsFile: another hosts file beside hosts.yaml: `top` are its top-level lines (default:
   * root with the client key and the fixture's known_hosts), `entries` its host lines (default:
   * every host's address). Returns its path.
   */
  writeHostsFile(name: string, top = 'user: root\nkey: client_key\nknown-hosts: known_hosts\n', entries = this.hosts.map((h) => h.address)): string {
    const file = path.join(this.dir, name);
    fs.writeFileSync(file, `${top}hosts:\n${entries.map((e) => `  - ${e}\n`).join('')}`);
    return file;
  }

  private async waitForSshd(): Promise<void> {
    for (const h of this.hosts) {
      for (let i = 0; ; i++) {
        const res = await execIn(this.docker, h.container, ['/usr/bin/sh', '-c', 'test -f /run/sshd.pid']);
        if (res.exitCode === 0) break;
        if (i > 100) throw new Error(`sshd did not start in ${h.address}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** inspect lists what is left of any run on host k (processes, iptables rules, qdiscs, run dirs), in one exec (each costs ~1 s under load). */
  async inspect(k: number): Promise<HostLeftovers> {
    const parts = [
      'ps -eo pid,args',
      `${IMAGE_PATHS.iptablesNft} -w -S; ${IMAGE_PATHS.iptablesNft} -w -S OUTPUT`,
      'tc qdisc show',
      'ls -A /tmp/splitbrain-ssh 2>/dev/null || true',
    ];
    const res = await execIn(this.docker, this.hosts[k].container, ['/usr/bin/sh', '-c', `PATH=/usr/sbin:/usr/bin; ${parts.join(`; echo ${INSPECT_SEPARATOR}; `)}`]);
    // The parts, split at the lines that are exactly the separator (ps shows the script itself, after a pid).
    const sections: string[][] = [[]];
    for (const line of res.output.split('\n').map((l) => l.trim())) {
      if (line === INSPECT_SEPARATOR) sections.push([]);
      else if (line !== '') sections.at(-1)!.push(line);
    }
    if (sections.length !== parts.length) throw new Error(`inspect host ${k + 1}: expected ${parts.length} parts, got ${sections.length}:\n${res.output}`);
    const [ps, ipt, tc, ls] = sections;
    const processes = ps.slice(1).filter((l) => !/\bsshd\b|ps -eo|sh -c PATH=/.test(l));
    const rules = ipt.filter((l) => /SB/.test(l));
    // Every device (a host put back on its network gets a new one); the kernel's default is noqueue.
    const qdiscs = tc.filter((l) => !/^qdisc noqueue 0: dev \S+ root/.test(l));
    return { processes, rules, qdiscs, runDirs: ls };
  }

  /** inspectAll: inspect() of every host, in parallel. */
  inspectAll(): Promise<HostLeftovers[]> {
    return Promise.all(this.hosts.map((_, k) => this.inspect(k)));
  }

  /** processStates: `STAT args` of host k's processes other than sshd (ps: T = stopped by a signal). */
  async processStates(k: number): Promise<string[]> {
    const res = await execIn(this.docker, this.hosts[k].container, ['/usr/bin/sh', '-c', 'PATH=/usr/sbin:/usr/bin; ps -eo stat,args']);
    return res.output.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/\bsshd\b|ps -eo|sh -c PATH=|^STAT/.test(l));
  }

  /** stop removes the containers, the network and the keys. */
  async stop(): Promise<void> {
    for (const h of this.hosts) await h.container.remove({ force: true, v: true }).catch(() => undefined);
    await this.docker.getNetwork(this.network).remove().catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
