// test/ssh-e2e.test.ts — whole runs over --cluster ssh against sshd containers, and what they leave on the hosts.
//
// Four containers running sshd on an internal network stand in for machines
// (test/support/sshd-hosts.ts). raft stays linearizable under partition, pause, packet loss
// + rate, and delay + duplication + reordering by the NFQUEUE shaper uploaded to the hosts
// (each seen in force on the hosts), a control node interrupted mid-run (SIGINT, every fault
// in force) leaves the hosts clean, primary-backup is caught under
// partitions, raft --reads lease is caught under a libfaketime clock skew; etcd, postgres and
// redis-sentinel (their packages installed on the hosts) run unchanged; the other rsm
// families run through a login that is not root (sudo) with its key in an ssh agent; hosts that
// differ in what packet faults they can do say so; a host that drops off mid-run makes the run
// crashed with the host named, never a verdict; what the hosts cannot do (unreachable, a wrong
// host or login key, no root, a missing program, apt-get, a DB port something on the host
// holds, unless a dead control node's run does: that run is removed) is refused before the run (exit 3);
// three hosts without etcd whose apt has a local repository (test/support/apt-host.ts) get
// etcd-server from the preflight (apt-install: true) and run etcd, and one whose repository
// lacks it is refused naming apt's words.
// After each run no process, iptables rule, qdisc or run dir is left on any host (read back
// from inside the containers). Needs a Docker engine, sshd, ssh-keygen, ssh-agent and sudo on
// the control node (fails in CI without them, skips outside).
// The apt hosts' repository holds etcd-server's .deb rebuilt from the control node's installed
// package (no network; the apt cases fail in CI without it, skip outside); one of them has a
// source that is gone, so its apt-get update fails, is said, and the install goes on.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dockerClient, dockerReachable, execIn } from '../cluster/docker/engine.ts';
import { NFQ_SHAPER_HOST_PACKAGES } from '../cluster/native-build.ts';
import { parseHostsFile } from '../cluster/ssh/hosts-file.ts';
import { preflightHosts } from '../cluster/ssh/preflight.ts';
import { RUN_ROOT } from '../cluster/ssh/remote-run.ts';
import { SshCluster } from '../cluster/ssh/ssh-cluster.ts';
import { currentOwner, formatOwner } from '../cluster/owner.ts';
import { etcdDbFactory } from '../db/etcd/index.ts';
import { main } from '../control/cli.ts';
import { resolveOptions } from '../control/config.ts';
import { partsFactory, sshParts } from '../control/runner/parts.ts';
import type { PartsFactory } from '../control/runner/run-test.ts';
import { runTest, type RunOutcome } from '../control/runner/run-test.ts';
import { PG_EXCLUDE, PG_PACKAGES, PG_USER } from '../db/postgres/postgres.ts';
import { REDIS_PACKAGES } from '../db/redis-sentinel/index.ts';
import { createRsmDb } from '../db/rsm.ts';
import { readHistory } from '../history/read.ts';
import { unsupported } from '../nemesis/faults/packet.ts';
import { APT_REPO_DIR, installedDeb, notInstalledReason, writeAptRepo } from './support/apt-host.ts';
import { type HostLeftovers, SshdHosts, SUDO_USER } from './support/sshd-hosts.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const docker = dockerClient();
const reachable = await dockerReachable(docker);
// The hosts get sshd and sudo from this machine; ssh-keygen, ssh-agent and ssh-add run here.
const hasSshd = fs.existsSync('/usr/sbin/sshd') && fs.existsSync('/usr/bin/sudo') && spawnSync('ssh-keygen', ['-?']).error === undefined && spawnSync('ssh-agent', ['-?']).error === undefined;
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
/** APT_WHY: why the apt-install cases cannot build their etcd-server .deb here, or null. */
const APT_WHY = notInstalledReason('etcd-server');
const HOW = 'needs a Docker engine (`sudo bash scripts/docker-setup.sh`), openssh-server, openssh-client and sudo (.ci/run installs them)';
const stores: string[] = [];
let hosts: SshdHosts;

/** clean: nothing of any run on any host (of the suite's four, or of `fixture`). */
async function expectHostsClean(fixture: SshdHosts = hosts): Promise<void> {
  for (const [k, left] of (await fixture.inspectAll()).entries()) expect(left, `host ${k + 1}`).toEqual({ processes: [], rules: [], qdiscs: [], runDirs: [] });
}

/** esc: `text` as a literal in a RegExp. */
function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function run(config: string | null, flags: Record<string, unknown>, parts?: PartsFactory): Promise<RunOutcome> {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ssh-e2e-'));
  stores.push(store);
  const base = config === null ? {} : { config: path.join(ROOT, 'examples', config) };
  const opts = resolveOptions({ ...base, cluster: 'ssh', hosts: hosts.hostsYaml, store, checkTimeout: '20', recoveryS: '2', ...flags });
  const startMs = performance.now();
  const outcome = await runTest(opts, parts ?? partsFactory(opts));
  process.stderr.write(`ssh e2e ${opts.name}: ${Math.round(performance.now() - startMs)} ms, ${JSON.stringify(outcome.results.stats.all)}\n`);
  return outcome;
}

/** cli runs `npm run jepsen -- ARGS` in this process (the user's path: refusals, then the run): its exit code and stderr. */
async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    return { code: await main(args), stderr };
  } finally {
    spy.mockRestore();
    // The test command sets the exit code of the process it runs in: this worker's is not the run's.
    process.exitCode = undefined;
  }
}

/**
 * FAULTS_SCHEDULE: loss and a rate on every link, a partition, a pause of n2, then
 * delay, duplication and reordering (the NFQUEUE shaper: these kernels lack netem), then all healed.
 * The pause names its node: half a second after the heal, under 20% loss on a loaded machine, the
 * cluster may still be electing, and `target: primary` then fails ("no primary known") and pauses nothing.
 */
const FAULTS_SCHEDULE = `- {at: 500ms, do: packet, target: all, loss: 20%, rate: 2mbit}
- {at: 1500ms, do: partition, topology: primary}
- {at: 2500ms, do: heal}
- {at: 3s, do: pause, nodes: [n2]}
- {at: 4s, do: resume}
- {at: 4500ms, do: packet, target: all, delay: 150ms, jitter: 10ms, duplicate: 10%, reorder: 5%}
- {at: 5500ms, do: packet-heal}
`;

/** INTERRUPT_SCHEDULE: from the start, a node cut off and every link delayed and duplicated (by the shaper), for as long as the run lasts. */
const INTERRUPT_SCHEDULE = `- {at: 0s, do: partition, topology: one}
- {at: 0s, do: packet, target: all, delay: 20ms, duplicate: 10%, rate: 5mbit}
`;

/** clientKeyBody: the first line of the private key's body, which nothing a run prints or stores may contain. */
function clientKeyBody(): string {
  return fs.readFileSync(hosts.clientKey, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('-----'))[0];
}

/** connectMs: median time host k takes to open a TCP connection to host j's sshd (five tries, by the hosts' node). */
async function connectMs(k: number, j: number): Promise<number> {
  const script = `const net=require('net');const t=[];const one=()=>{const s0=performance.now();const s=net.connect(22,${JSON.stringify(hosts.hosts[j].address)},()=>{t.push(performance.now()-s0);s.destroy();t.length<5?one():console.log(t.sort((a,b)=>a-b)[2])})};one()`;
  const res = await execIn(docker, hosts.hosts[k].container, ['/usr/bin/node', '-e', script]);
  return Number(res.output.trim());
}

/**
 * LEASE_SCHEDULE (as test/docker-e2e.test.ts's): the leader's clock jumps back 20 s (its lease now
 * outlasts any election), then it is cut off; the majority elects a new leader and takes writes
 * while clients still reading from the old leader get its stale lease reads.
 */
const LEASE_SCHEDULE = `- {at: 2s, do: clock-bump, target: primary, ms: -20000}
- {at: 2500ms, do: partition, topology: primary}
- {at: 8s, do: heal}
- {at: 8s, do: clock-reset}
`;

/** REDIS_SCHEDULE: the primary (n1) cut off from the other two nodes long enough for Sentinel to fail over (down after 2 s). */
const REDIS_SCHEDULE = `- {at: 1500ms, do: partition, topology: primary}
- {at: 7s, do: heal}
`;

/** schedule writes a schedule file into a store dir removed after the suite. */
function schedule(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ssh-e2e-sched-'));
  stores.push(dir);
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
}

async function nemesisFs(outcome: RunOutcome): Promise<string[]> {
  const history = await readHistory(outcome.run.historyJsonl);
  return history.filter((op) => op.process === 'nemesis' && op.type === 'info' && op.error === undefined).map((op) => op.f);
}

if ((!reachable || !hasSshd) && inCi) {
  describe('--cluster ssh end to end', () => {
    it('needs docker and sshd in CI', () => {
      throw new Error(`CI is set: ${HOW}`);
    });
  });
} else if (!reachable || !hasSshd) {
  process.stderr.write(`test/ssh-e2e.test.ts: skipped: ${HOW}\n`);
  describe.skip('--cluster ssh end to end', () => undefined);
} else {
  describe('--cluster ssh end to end', () => {
    beforeAll(async () => {
      // The DBs of the DB seam that are packages: the hosts have them installed (etcd is in the base).
      // The NFQUEUE shaper's library too: the cluster uploads the shaper itself.
      hosts = await SshdHosts.start(docker, 4, `h-ssh-${process.pid}`, { packages: [...PG_PACKAGES, ...REDIS_PACKAGES, ...NFQ_SHAPER_HOST_PACKAGES], exclude: PG_EXCLUDE, users: [PG_USER] });
    }, 120_000);
    afterAll(async () => {
      await hosts?.stop();
      for (const s of stores) fs.rmSync(s, { recursive: true, force: true });
    });

    it('raft + register under partition, pause, packet loss, delay and duplication over ssh is linearizable, and leaves nothing on the hosts', async () => {
      // What the faults did on the hosts, read from inside the containers while in force.
      const seen: { paused: string[][]; resumed: string[][]; shaped: HostLeftovers[][]; connectMs: number[] } = { paused: [], resumed: [], shaped: [], connectMs: [] };
      const hostOf = (node: string): number => Number(node.slice(1)) - 1;
      const watched: PartsFactory = async (opts, env) => {
        const parts = await sshParts(opts, env);
        const cluster = parts.cluster as SshCluster;
        const [pause, resume, shape] = [cluster.pause.bind(cluster), cluster.resume.bind(cluster), cluster.shapePackets.bind(cluster)];
        cluster.pause = async (node) => {
          await pause(node);
          seen.paused.push(await hosts.processStates(hostOf(node)));
        };
        cluster.resume = async (node) => {
          await resume(node);
          seen.resumed.push(await hosts.processStates(hostOf(node)));
        };
        cluster.shapePackets = async (links, packetShape, seed) => {
          const out = await shape(links, packetShape, seed);
          seen.shaped.push(await Promise.all([0, 1, 2].map((k) => hosts.inspect(k))));
          if (packetShape.delayMs !== undefined) seen.connectMs.push(await connectMs(0, 1));
          return out;
        };
        return parts;
      };
      const outcome = await run('test-raft-register.yaml', { nemesisSchedule: schedule('faults.yaml', FAULTS_SCHEDULE), timeLimit: '6', seed: '5' }, watched);
      expect(outcome.results.error).toBeUndefined();
      expect(await nemesisFs(outcome)).toEqual(expect.arrayContaining(['start-packet', 'start-partition', 'pause', 'resume', 'stop-packet']));
      // The paused node's process (node running rsm/node/main.ts) was stopped (T), then running again.
      const node = (states: string[]): string | undefined => states.find((l) => l.includes('rsm/node/main.mjs'));
      expect(seen.paused.map(node)).toEqual([expect.stringMatching(/^T/)]);
      expect(seen.resumed.map(node)).toEqual([expect.stringMatching(/^[SR]/)]);
      // Loss is an iptables statistic rule in the run's own output chain, the rate an htb class, on every sender.
      expect(seen.shaped).toHaveLength(2);
      const [lossy, delayed] = seen.shaped;
      for (const h of lossy) {
        expect(h.rules.filter((r) => /-A SB\S+-out .*--mode random --probability 0\.2\d* -j DROP/.test(r))).toHaveLength(2);
        expect(h.qdiscs).toEqual([expect.stringMatching(/^qdisc htb 1: dev eth0 root/)]);
      }
      // Delay and duplication: the uploaded shaper runs on every sender, fed by one NFQUEUE rule per link
      // in the run's chain, and a TCP handshake to a peer takes the delay.
      for (const h of delayed) {
        expect(h.rules.filter((r) => /-A SB\S+-out -d \S+ -m mark ! --mark 0x5b1 -j NFQUEUE --queue-num 0 --queue-bypass/.test(r))).toHaveLength(2);
        expect(h.processes.filter((p) => p.includes('nfq-shaper'))).toEqual([expect.stringMatching(/\/bin\/nfq-shaper start --delay 150 --jitter 10 --duplicate 0\.1 --reorder 0\.05 --seed \d+ --mark \d+ --state-dir \/tmp\/splitbrain-ssh\//)]);
      }
      expect(seen.connectMs[0]).toBeGreaterThanOrEqual(120);
      expect(outcome.valid).toBe(true);
      // Node logs were fetched from the hosts into the run's store.
      expect(fs.readFileSync(path.join(outcome.run.logsDir, 'n1.log'), 'utf8')).toMatch(/\S/);
      // No secret in the run directory: neither the private key nor its body appears in any file.
      const keyBody = clientKeyBody();
      for (const file of fs.readdirSync(outcome.run.dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())) {
        expect(fs.readFileSync(path.join(file.parentPath, file.name), 'utf8'), file.name).not.toContain(keyBody);
      }
      await expectHostsClean();
    }, 120_000);

    it("raft --reads lease with the leader's clock set back (libfaketime on the host) and the leader cut off is caught", async () => {
      const outcome = await run('test-raft-register.yaml', { reads: 'lease', nemesisSchedule: schedule('lease.yaml', LEASE_SCHEDULE), timeLimit: '9', concurrency: '9', rate: '100', seed: '21' });
      expect(outcome.results.error).toBeUndefined();
      expect(await nemesisFs(outcome)).toEqual(expect.arrayContaining(['bump-clock', 'start-partition']));
      expect(outcome.valid, JSON.stringify(outcome.results.anomalies)).toBe(false);
      await expectHostsClean();
    }, 120_000);

    it('a control node interrupted (SIGINT) with a partition and shaped packets in force leaves the hosts clean', async () => {
      const store = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ssh-e2e-'));
      stores.push(store);
      // The real CLI in its own process, as a user runs it (and the switch that skips host keys, which must say so).
      const child = spawn(process.execPath, ['--import', 'tsx', 'control/cli.ts', 'test', '--config', 'examples/test-raft-register.yaml', '--cluster', 'ssh',
        '--hosts', hosts.hostsYaml, '--insecure-ignore-host-keys', '--nemesis-schedule', schedule('interrupt.yaml', INTERRUPT_SCHEDULE), '--time-limit', '60', '--seed', '4', '--store', store], {
        cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = once(child, 'exit');
      try {
        // Wait (bounded) until every fault is in force on the three hosts: DROP and NFQUEUE rules, the htb qdisc, the shaper.
        const inForce = (h: HostLeftovers): boolean => h.rules.some((r) => /NFQUEUE/.test(r)) && h.qdiscs.length > 0 && h.processes.some((p) => p.includes('nfq-shaper start'));
        let seen: HostLeftovers[] = [];
        for (let i = 0; i < 120 && child.exitCode === null; i++) {
          seen = await Promise.all([0, 1, 2].map((k) => hosts.inspect(k)));
          if (seen.every(inForce) && seen.some((h) => h.rules.some((r) => /-j DROP/.test(r) && !/statistic/.test(r)))) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        expect(seen.every(inForce), `${stderr}\n${JSON.stringify(seen)}`).toBe(true);
        child.kill('SIGINT');
        const [code] = (await exited) as [number | null];
        expect(code, stderr).toBe(2);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      expect(stderr).toMatch(/WARNING: --insecure-ignore-host-keys: host keys are NOT checked/);
      expect(stdout + stderr).not.toContain(clientKeyBody());
      expect(JSON.parse(fs.readFileSync(path.join(store, 'latest', 'results.json'), 'utf8'))).toMatchObject({ interrupted: true, valid: 'unknown' });
      // The teardown ran cleanup.sh on each host; were it cut short (5 s), the closed connections start the watchdogs.
      for (let i = 0; i < 50 && (await Promise.all([0, 1, 2].map((k) => hosts.inspect(k)))).some((h) => h.runDirs.length > 0); i++) await new Promise((r) => setTimeout(r, 200));
      await expectHostsClean();
    }, 90_000);

    it('primary-backup + register under partitions over ssh is caught, and leaves nothing on the hosts', async () => {
      const outcome = await run('test-primary-backup-register.yaml', { timeLimit: '8', nemesisInterval: '2', seed: '13', partitionClients: false });
      expect(outcome.results.error).toBeUndefined();
      expect(await nemesisFs(outcome)).toContain('start-partition');
      expect(outcome.valid).toBe(false);
      expect(outcome.results.anomalies[0]).toMatch(/^nonlinearizable/);
      await expectHostsClean();
    }, 120_000);

    it('etcd (installed on the hosts) runs over ssh under partitions', async () => {
      const outcome = await run(null, { db: 'etcd', workload: 'register', nemesis: 'partition', timeLimit: '5', nemesisInterval: '1.5', seed: '7', concurrency: '3' });
      expect(outcome.results.error).toBeUndefined();
      expect(await nemesisFs(outcome)).toContain('start-partition');
      expect(outcome.valid).toBe(true);
      await expectHostsClean();
    }, 120_000);

    it('postgres (installed on the hosts, run as its own user) runs over ssh under kill and pause', async () => {
      const outcome = await run(null, { db: 'postgres', workload: 'list-append', isolation: 'serializable', nemesis: 'kill,pause', nemesisInterval: '1', timeLimit: '4', seed: '31', concurrency: '5', rate: '0', keyCount: '5' });
      expect(outcome.results.error).toBeUndefined();
      expect(await nemesisFs(outcome)).toEqual(expect.arrayContaining(['kill', 'start']));
      expect(outcome.results.stats.all.ok).toBeGreaterThan(10);
      expect(outcome.valid, JSON.stringify(outcome.results.anomalies)).toBe(true);
      await expectHostsClean();
    }, 120_000);

    it('redis-sentinel over ssh loses adds the cut-off primary acknowledged after the failover', async () => {
      const outcome = await run(null, { db: 'redis-sentinel', workload: 'set', nemesisSchedule: schedule('redis.yaml', REDIS_SCHEDULE), timeLimit: '9', recoveryS: '4', seed: '3' });
      expect(outcome.results.error).toBeUndefined();
      expect(await nemesisFs(outcome)).toContain('start-partition');
      expect(outcome.valid, JSON.stringify(outcome.results.anomalies)).toBe(false);
      expect(outcome.results.anomalies[0]).toMatch(/^lost \d+ element\(s\) .*by n1/);
      expect(fs.readFileSync(path.join(outcome.run.logsDir, 'n2.log'), 'utf8')).toMatch(/\+switch-master/);
      await expectHostsClean();
    }, 120_000);

    it('refuses a run the hosts cannot do before it starts (exit 3), naming the hosts file line, the host and the fix', async () => {
      const [h1, h2] = hosts.hosts.map((h) => h.address);
      const store = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ssh-e2e-'));
      stores.push(store);
      // Host 1 listed with host 2's key; a login key no host authorizes.
      const lines = fs.readFileSync(hosts.knownHosts, 'utf8').trim().split('\n');
      fs.writeFileSync(path.join(hosts.dir, 'known_hosts_wrong'), `${h1} ${lines[1].split(' ').slice(1).join(' ')}\n${lines.slice(1).join('\n')}\n`);
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(hosts.dir, 'stranger_key')]);
      const top = (lines: string): string => `${lines}known-hosts: known_hosts\n`;
      const cases: { file: string; db?: string; message: RegExp }[] = [
        // Nothing listens on port 2222 of host 2.
        { file: hosts.writeHostsFile('closed-port.yaml', undefined, [h1, `{ address: ${h2}, port: 2222 }`, hosts.hosts[2].address]), message: new RegExp(`closed-port\\.yaml:6: hosts\\[1\\]: ssh root@${esc(h2)}:2222: cannot reach it \\(connect ECONNREFUSED .*\\): is sshd running there, on port 2222\\?$`) },
        { file: hosts.writeHostsFile('stranger.yaml', top('user: root\nkey: stranger_key\n')), message: new RegExp(`stranger\\.yaml:5: hosts\\[0\\]: ssh root@${esc(h1)}:22: All configured authentication methods failed: user root was not let in with the key ${esc(hosts.dir)}/stranger_key; is its public key in the host's authorized_keys for that user\\?$`) },
        { file: hosts.writeHostsFile('wrong-host-key.yaml', 'user: root\nkey: client_key\nknown-hosts: known_hosts_wrong\n'), message: new RegExp(`wrong-host-key\\.yaml:5: hosts\\[0\\]: ssh root@${esc(h1)}:22: the host key of ${esc(h1)} does not match ${esc(hosts.dir)}/known_hosts_wrong: someone may be in the middle`) },
        { file: hosts.writeHostsFile('not-root.yaml', top(`user: ${SUDO_USER}\nkey: client_key\n`)), message: new RegExp(`not-root\\.yaml:5: hosts\\[0\\]: ssh ${SUDO_USER}@${esc(h1)}:22 \\(node n1\\): user ${SUDO_USER} is not root \\(uid 1500\\): .*set sudo: true \\(passwordless sudo\\)$`) },
        // etcd is taken away from host 2 below.
        { file: hosts.writeHostsFile('no-etcd.yaml'), db: 'etcd', message: new RegExp(`no-etcd\\.yaml:6: hosts\\[1\\]: ssh root@${esc(h2)}:22 \\(node n2\\): --db etcd needs /usr/bin/etcd \\(package etcd-server\\); install it there \\(\`apt-get install etcd-server\`\\), or set apt-install: true in the hosts file$`) },
        // Host 3's PATH finds an old node first (below).
        { file: hosts.writeHostsFile('old-node.yaml'), message: new RegExp(`old-node\\.yaml:7: hosts\\[2\\]: ssh root@${esc(hosts.hosts[2].address)}:22 \\(node n3\\): --db raft needs node 20 or later \\(package nodejs\\); \`node --version\` there says "v18\\.19\\.0"$`) },
        { file: hosts.writeHostsFile('apt.yaml', top('user: root\nkey: client_key\napt-install: true\n')), db: 'etcd', message: /apt\.yaml:6: hosts\[0\]: .*apt-install: true, but the host has no apt-get \(not Debian or Ubuntu\?\): install etcd-server .*yourself and set apt-install: false$/ },
      ];
      await execIn(docker, hosts.hosts[1].container, ['/usr/bin/mv', '/usr/bin/etcd', '/usr/bin/etcd.away']);
      const oldNode = '/usr/local/bin/node';
      await execIn(docker, hosts.hosts[2].container, ['/usr/bin/sh', '-c', `/usr/bin/mkdir -p /usr/local/bin && printf '#!/bin/sh\\necho v18.19.0\\n' > ${oldNode} && /usr/bin/chmod 755 ${oldNode}`]);
      try {
        for (const c of cases) {
          const r = await cli(['test', '--cluster', 'ssh', '--hosts', c.file, '--db', c.db ?? 'raft', '--workload', 'register', '--nemesis', 'partition', '--time-limit', '2', '--store', store]);
          expect(r.code, `${c.file}: ${r.stderr}`).toBe(3);
          expect(r.stderr.trim().split('\n'), c.file).toEqual([expect.stringMatching(new RegExp(`^splitbrain: ${esc(hosts.dir)}/${c.message.source}`))]);
        }
      } finally {
        await execIn(docker, hosts.hosts[1].container, ['/usr/bin/mv', '/usr/bin/etcd.away', '/usr/bin/etcd']);
        await execIn(docker, hosts.hosts[2].container, ['/usr/bin/rm', '-f', oldNode]);
      }
      // No run began: no run directory in the store, nothing on the hosts.
      expect(fs.readdirSync(store)).toEqual([]);
      await expectHostsClean();
    }, 120_000);

    it("refuses a run whose DB port something on a host holds (exit 3), naming the line, the host, the port and the holder (from ss; with no ss, from /proc/net/tcp); a dead control node's run holding it is removed instead", async () => {
      const h2 = hosts.hosts[1];
      const store = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ssh-e2e-'));
      stores.push(store);
      const sh = (script: string): Promise<{ output: string }> => execIn(docker, h2.container, ['/usr/bin/sh', '-c', `PATH=/usr/sbin:/usr/bin; ${script}`]);
      // etcd's peer port on host 2's loopback, as the distribution's etcd.service holds it once apt-get installed etcd-server.
      const pid = (await sh(`setsid node -e "require('net').createServer().listen(2380, '127.0.0.1')" </dev/null >/dev/null 2>&1 & echo $!`)).output.trim();
      const line = `^splitbrain: ${esc(hosts.hostsYaml)}:6: hosts\\[1\\]: ssh root@${esc(h2.address)}:22 \\(node n2\\): --db etcd listens on 0\\.0\\.0\\.0 port 2380 \\(peer\\) there, but it is taken: 127\\.0\\.0\\.1:2380`;
      const args = ['test', '--cluster', 'ssh', '--hosts', hosts.hostsYaml, '--db', 'etcd', '--workload', 'register', '--nemesis', 'partition', '--time-limit', '2', '--store', store];
      try {
        for (let i = 0; !(await sh('cat /proc/net/tcp')).output.includes('0100007F:094C'); i++) {
          if (i > 100) throw new Error('the listener on host 2 did not come up');
          await new Promise((r) => setTimeout(r, 50));
        }
        const bySs = await cli(args);
        expect(bySs.code, bySs.stderr).toBe(3);
        expect(bySs.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`${line} by node \\(pid ${pid}\\); stop what holds it there \\(for a package's own service: \`systemctl disable --now <unit>\`\\)$`))]);
        await sh('mv /usr/bin/ss /usr/bin/ss.away');
        const byProc = await cli(args);
        expect(byProc.code, byProc.stderr).toBe(3);
        expect(byProc.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`${line}; the host has no ss, so who holds it is unknown \\(\`ss -ltnp\` names it\\)`))]);
        // The same listener as the node of a run a dead control node of this machine left: the preflight removes that run first, and lets the run through.
        const dead = `${RUN_ROOT}/dead-run/`;
        await sh(`mv /usr/bin/ss.away /usr/bin/ss; mkdir -p ${dead} && echo ${formatOwner({ ...currentOwner(), startTicks: currentOwner().startTicks + 1 })} > ${dead}owner && echo 'kill -KILL ${pid}' > ${dead}cleanup.sh`);
        const said: string[] = [];
        await preflightHosts(parseHostsFile(hosts.hostsYaml), etcdDbFactory({ nodeCount: 3, bugs: [], settings: {} }), {}, { log: (l) => said.push(l) });
        expect(said).toEqual([`ssh cluster: removed ${dead} on root@${h2.address}:22, left by a dead control node`]);
      } finally {
        await sh(`[ -e /usr/bin/ss.away ] && mv /usr/bin/ss.away /usr/bin/ss; kill -KILL ${pid}; i=0; while kill -0 ${pid} 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done`);
      }
      expect(fs.readdirSync(store)).toEqual([]);
      await expectHostsClean();
    }, 60_000);

    describe('every other rsm family, through a login that is not root (sudo: true) whose key is in an ssh agent', () => {
      // ssh-agent in the foreground (so the pid is the agent's, ended after), holding the client key.
      let agent: ReturnType<typeof spawn> | undefined;
      let agentExited: Promise<unknown> = Promise.resolve();
      const authSockBefore = process.env.SSH_AUTH_SOCK;
      let file = '';
      let cut = '';
      beforeAll(async () => {
        const sock = path.join(hosts.dir, 'agent.sock');
        agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
        agentExited = once(agent, 'exit');
        for (let i = 0; i < 200 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
        execFileSync('ssh-add', ['-q', hosts.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'pipe' });
        process.env.SSH_AUTH_SOCK = sock;
        file = hosts.writeHostsFile('sudo-agent.yaml', `user: ${SUDO_USER}\nagent: true\nsudo: true\nknown-hosts: known_hosts\n`);
        // A partition needs root on the hosts (iptables): through sudo.
        cut = schedule('cut.yaml', '- {at: 300ms, do: partition, topology: one}\n- {at: 1s, do: heal}\n');
      }, 30_000);
      afterAll(async () => {
        if (authSockBefore === undefined) delete process.env.SSH_AUTH_SOCK;
        else process.env.SSH_AUTH_SOCK = authSockBefore;
        agent?.kill('SIGTERM');
        await agentExited;
      });

      // Linearizable protocols must be valid; the others (copies that may disagree) need only have run.
      const families = [
        { db: 'viewservice', linearizable: true },
        { db: 'paxos', linearizable: true },
        { db: 'naive', linearizable: false },
        { db: 'async-backup', linearizable: false },
        { db: 'gossip', linearizable: false },
      ];
      for (const f of families) {
        it(`${f.db} + register under a partition${f.linearizable ? ' is linearizable' : ' runs'}, and leaves nothing on the hosts`, async () => {
          const store = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ssh-e2e-'));
          stores.push(store);
          const startMs = performance.now();
          const r = await cli(['test', '--db', f.db, '--workload', 'register', '--cluster', 'ssh', '--hosts', file, '--nemesis-schedule', cut,
            '--time-limit', '1.5', '--recovery-s', '0.5', '--concurrency', '3', '--rate', '50', '--seed', '11', '--check-timeout', '20', '--store', store]);
          process.stderr.write(`ssh e2e ${f.db} (sudo, agent): exit ${r.code}, ${Math.round(performance.now() - startMs)} ms\n`);
          const results = JSON.parse(fs.readFileSync(path.join(store, 'latest', 'results.json'), 'utf8')) as { error?: string; stats: { all: { ok: number } } };
          expect(results.error, r.stderr).toBeUndefined();
          if (f.linearizable) expect(r.code, r.stderr).toBe(0);
          else expect([0, 1], r.stderr).toContain(r.code);
          // Clients reached the nodes (a few ops are enough: under load a short run completes few).
          expect(results.stats.all.ok).toBeGreaterThan(0);
          const history = await readHistory(path.join(store, 'latest', 'history.jsonl'));
          const faults = history.filter((op) => op.process === 'nemesis' && op.type === 'info');
          expect(faults.filter((op) => op.error !== undefined)).toEqual([]);
          expect(faults.map((op) => op.f)).toContain('start-partition');
          await expectHostsClean();
        }, 90_000);
      }

      // One-node DBs have nothing to cut: a kill and a restart instead. rsm's single node, and the README's
      // own-DB example (examples/own-db/kv-server.mjs, uploaded to the host and run by its node).
      for (const db of ['single', 'example-kv']) {
        it(`${db} (one node) + register under a kill and a restart over ssh is linearizable, and leaves nothing on the hosts`, async () => {
          const store = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ssh-e2e-'));
          stores.push(store);
          const killStart = schedule('kill-start.yaml', '- {at: 300ms, do: kill, target: all}\n- {at: 800ms, do: start}\n');
          const r = await cli(['test', '--db', db, '--nodes', '1', '--workload', 'register', '--cluster', 'ssh', '--hosts', file, '--nemesis-schedule', killStart,
            '--time-limit', '1.5', '--recovery-s', '0.5', '--concurrency', '2', '--rate', '50', '--seed', '11', '--check-timeout', '20', '--store', store]);
          expect(r.code, r.stderr).toBe(0);
          const results = JSON.parse(fs.readFileSync(path.join(store, 'latest', 'results.json'), 'utf8')) as { error?: string; stats: { all: { ok: number } } };
          expect(results.error, r.stderr).toBeUndefined();
          expect(results.stats.all.ok).toBeGreaterThan(0);
          const history = await readHistory(path.join(store, 'latest', 'history.jsonl'));
          const faults = history.filter((op) => op.process === 'nemesis' && op.type === 'info');
          expect(faults.filter((op) => op.error !== undefined)).toEqual([]);
          // The kill and the restart took effect (then the run's closing heal).
          expect(faults.map((op) => op.f).slice(0, 2)).toEqual(['kill', 'start']);
          await expectHostsClean();
        }, 90_000);
      }
    });

    it('hosts that differ (one cannot run the NFQUEUE shaper) offer loss and rate only, naming both hosts, and refuse a delay', async () => {
      // Host 3 loses the shaper's library for this test.
      const hide = (from: string, to: string): Promise<unknown> => execIn(docker, hosts.hosts[2].container, ['/usr/bin/sh', '-c', `for f in /usr/lib/*/libnetfilter_queue.so.1${from}; do mv "$f" "\${f%${from}}${to}"; done`]);
      await hide('', '.away');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ssh-e2e-'));
      stores.push(dir);
      const cluster = new SshCluster({ dataDir: dir, logDir: dir }, createRsmDb({ protocol: 'raft', nodeCount: 3 }), { hosts: hosts.hostsYaml });
      try {
        await cluster.setup();
        const [a, c] = [hosts.hosts[0].address, hosts.hosts[2].address].map((h) => h.replace(/\./g, '\\.'));
        const support = cluster.packetSupport();
        expect(support.behaviours).toEqual(['loss', 'rate']);
        expect(support.missing).toMatch(new RegExp(`the hosts differ: root@${a}:22 nfqueue, root@${c}:22 fallback \\(.*libnetfilter_queue\\.so\\.1.*\\)`));
        // What the packet nemesis refuses a start-packet with (the run stops naming it).
        expect(unsupported({ delayMs: 50 }, cluster)).toMatch(/^packet delay: .*the hosts differ: /);
        expect(unsupported({ loss: 0.1 }, cluster)).toBeNull();
      } finally {
        await cluster.teardown();
        await hide('.away', '');
      }
      await expectHostsClean();
    }, 90_000);

    // The apt hosts' repository holds etcd-server's .deb rebuilt from the control node's installed package (no network).
    if (APT_WHY !== null && inCi) {
      it('apt-install on hosts without etcd: needs etcd-server installed on the control node in CI', () => {
        throw new Error(`CI is set: ${APT_WHY}`);
      });
    } else if (APT_WHY !== null) {
      process.stderr.write(`test/ssh-e2e.test.ts: apt-install cases skipped: ${APT_WHY}\n`);
    }
    describe.skipIf(APT_WHY !== null)('hosts without etcd that apt-get it (apt-install: true; their only source a local repository)', () => {
      let aptHosts: SshdHosts;
      let file = '';
      /** GONE_SOURCE: a source a host's apt cannot fetch; UPDATE_FAILED: what the preflight says of the update it fails. */
      const GONE_SOURCE = `file:${APT_REPO_DIR}-gone`;
      const UPDATE_FAILED = `\`apt-get update -q\` exited 100 \\(E: Failed to fetch ${esc(GONE_SOURCE)}/\\./Packages .*\\)`;
      const onHost = async (k: number, script: string): Promise<{ exitCode: number; output: string }> => {
        const res = await execIn(docker, aptHosts.hosts[k].container, ['/usr/bin/sh', '-c', `PATH=/usr/sbin:/usr/bin; ${script}`]);
        return { exitCode: res.exitCode ?? -1, output: res.output };
      };
      const etcdRun = (store: string, timeLimit: string): Promise<{ code: number; stderr: string }> => cli(['test', '--db', 'etcd', '--workload', 'register', '--cluster', 'ssh', '--hosts', file,
        '--nemesis', 'partition', '--nemesis-interval', '0.8', '--time-limit', timeLimit, '--recovery-s', '1', '--concurrency', '3', '--seed', '7', '--check-timeout', '20', '--store', store]);
      beforeAll(async () => {
        // etcd-server's .deb, rebuilt from this machine's installed package (cached), is the one package the hosts' apt can find.
        const repoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ssh-e2e-apt-repo-'));
        stores.push(repoDir);
        const repo = writeAptRepo(repoDir, [installedDeb('etcd-server')]);
        // The shaper's library is installed on them (pre-run asks apt for it too, as the shaper is built here).
        const startMs = performance.now();
        aptHosts = await SshdHosts.start(docker, 3, `h-ssh-apt-${process.pid}`, { packages: NFQ_SHAPER_HOST_PACKAGES, apt: repo });
        process.stderr.write(`ssh e2e apt hosts (image and 3 containers): ${Math.round(performance.now() - startMs)} ms\n`);
        file = aptHosts.writeHostsFile('apt-install.yaml', 'user: root\nkey: client_key\nknown-hosts: known_hosts\napt-install: true\n');
      }, 120_000);
      afterAll(async () => {
        await aptHosts?.stop();
      });

      it('the preflight apt-gets etcd-server on every host (said per host), then etcd runs valid under partitions and leaves nothing', async () => {
        for (const k of [0, 1, 2]) expect((await onHost(k, 'command -v etcd || dpkg-query -W etcd-server')).exitCode, `host ${k + 1} has etcd`).not.toBe(0);
        // Host 1 also has a source that is gone (a dead PPA, say): its apt-get update fails, and the install goes on from the lists it got.
        expect((await onHost(0, `echo 'deb [trusted=yes] ${GONE_SOURCE} ./' > /etc/apt/sources.list.d/gone.list`)).exitCode).toBe(0);
        const store = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ssh-e2e-'));
        stores.push(store);
        const startMs = performance.now();
        const r = await etcdRun(store, '2');
        process.stderr.write(`ssh e2e etcd (apt-install): exit ${r.code}, ${Math.round(performance.now() - startMs)} ms\n`);
        expect(r.code, r.stderr).toBe(0);
        const h1 = aptHosts.hosts[0].address;
        expect(r.stderr.split('\n').filter((l) => l.includes('apt-get update'))).toEqual([expect.stringMatching(new RegExp(`^ssh root@${esc(h1)}:22 \\(node n1\\): ${UPDATE_FAILED}; installing from the package lists the host has$`))]);
        for (const [k, h] of aptHosts.hosts.entries()) {
          expect(r.stderr).toMatch(new RegExp(`^ssh root@${esc(h.address)}:22 \\(node n${k + 1}\\): apt-get installed etcd-server 3\\.4\\.\\S+$`, 'm'));
          // dpkg installed it now: its database lists it and its log has the install.
          const dpkg = await onHost(k, "dpkg-query -W -f='${Status}\\n' etcd-server && grep -c ' install etcd-server:' /var/log/dpkg.log");
          expect(dpkg.output.trim().split('\n'), `host ${k + 1}`).toEqual(['install ok installed', '1']);
        }
        const results = JSON.parse(fs.readFileSync(path.join(store, 'latest', 'results.json'), 'utf8')) as { error?: string; stats: { all: { ok: number } } };
        expect(results.error, r.stderr).toBeUndefined();
        expect(results.stats.all.ok).toBeGreaterThan(0);
        const history = await readHistory(path.join(store, 'latest', 'history.jsonl'));
        expect(history.filter((op) => op.process === 'nemesis' && op.type === 'info').map((op) => op.f)).toContain('start-partition');
        await expectHostsClean(aptHosts);
      }, 120_000);

      it("a host whose apt cannot find etcd-server is refused before the run (exit 3), naming it and apt's last words", async () => {
        // Hosts 1 and 3 have etcd-server, installed once (here, from their repository, when the case before did not run).
        const installs = "grep -c ' install etcd-server:' /var/log/dpkg.log";
        for (const k of [0, 2]) {
          expect((await onHost(k, "dpkg-query -W -f='${db:Status-Abbrev}' etcd-server 2>/dev/null | grep -q '^ii' || { apt-get update -q; apt-get install -y -q etcd-server; } >/dev/null 2>&1")).exitCode, `host ${k + 1}`).toBe(0);
          expect((await onHost(k, installs)).output.trim(), `host ${k + 1}`).toBe('1');
        }
        // Host 3's is on hold ("hi", not "ii"): the preflight runs apt there, which has nothing to do, and says that, not "installed".
        expect((await onHost(2, 'echo etcd-server hold | dpkg --set-selections')).exitCode).toBe(0);
        // Host 2 lacks it (dpkg purges it if there), its repository's index loses its entry, and it has a source that is gone.
        expect((await onHost(1, `{ ! dpkg-query -W etcd-server >/dev/null 2>&1 || dpkg --purge etcd-server >/dev/null; } && : > ${APT_REPO_DIR}/Packages && ! command -v etcd && echo 'deb [trusted=yes] ${GONE_SOURCE} ./' > /etc/apt/sources.list.d/gone.list`)).exitCode).toBe(0);
        const store = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ssh-e2e-'));
        stores.push(store);
        const r = await etcdRun(store, '2');
        const h2 = aptHosts.hosts[1].address;
        expect(r.code, r.stderr).toBe(3);
        // The failed update is a warning line; the refusal is the install's failure, quoting both. Host 3's line comes in any order (hosts are checked at once); host 1 has none.
        const h3 = aptHosts.hosts[2].address;
        const lines = r.stderr.trim().split('\n');
        expect(lines.find((l) => l.includes(`@${h3}:`))).toMatch(new RegExp(`^ssh root@${esc(h3)}:22 \\(node n3\\): apt-get ran for etcd-server, and dpkg set nothing up \\(etcd-server is already the newest version \\(3\\.4\\.\\S+\\)\\. \\| 0 upgraded, 0 newly installed, .*\\)$`));
        expect(lines.filter((l) => !l.includes(`@${h3}:`))).toEqual([
          expect.stringMatching(new RegExp(`^ssh root@${esc(h2)}:22 \\(node n2\\): ${UPDATE_FAILED}; installing from the package lists the host has$`)),
          expect.stringMatching(new RegExp(`^splitbrain: ${esc(aptHosts.dir)}/apt-install\\.yaml:7: hosts\\[1\\]: ssh root@${esc(h2)}:22 \\(node n2\\): apt-install: true, but \`apt-get install -y -q etcd-server\` exited 100 \\(.*E: Unable to locate package etcd-server\\) after ${UPDATE_FAILED}: the host needs a Debian mirror`)),
        ]);
        expect(lines).toHaveLength(3);
        // Only what is missing is installed: hosts 1 and 3 had it, and dpkg installed nothing more there.
        for (const k of [0, 2]) expect((await onHost(k, installs)).output.trim(), `host ${k + 1}`).toBe('1');
        // No run began: no run directory, nothing on the hosts, and host 2 still without etcd.
        expect(fs.readdirSync(store)).toEqual([]);
        await expectHostsClean(aptHosts);
        expect((await onHost(1, 'command -v etcd || dpkg-query -W etcd-server')).exitCode).not.toBe(0);
      }, 60_000);
    });

    it('a host lost mid-run makes the run crashed, naming the host; its watchdog cleans it once back', async () => {
      const lost = hosts.hosts[1];
      let dropped = false;
      const dropHost2: PartsFactory = async (opts, env) => {
        const parts = await sshParts(opts, env);
        const setup = parts.cluster.setup.bind(parts.cluster);
        parts.cluster.setup = async () => {
          await setup();
          // The link to host 2 goes away under the run (a switch or the machine failing).
          setTimeout(() => void docker.getNetwork(hosts.network).disconnect({ Container: lost.container.id, Force: true }).then(() => (dropped = true)), 1000);
        };
        return parts;
      };
      const outcome = await run('test-raft-register.yaml', { timeLimit: '4', nemesis: 'none', seed: '9', opTimeout: '2' }, dropHost2);
      expect(dropped).toBe(true);
      expect(outcome.valid).toBe('unknown');
      expect(outcome.results.error).toMatch(new RegExp(`lost the connection to host root@${lost.address.replace(/\./g, '\\.')}:22 \\(node n2\\)`));
      await docker.getNetwork(hosts.network).connect({ Container: lost.container.id });
      // The other hosts were cleaned by the teardown; host 2's sshd finds its client gone (ClientAliveInterval) and the watchdog runs cleanup.sh.
      for (let i = 0; i < 100 && (await hosts.inspect(1)).runDirs.length > 0; i++) await new Promise((r) => setTimeout(r, 200));
      await expectHostsClean();
    }, 120_000);

  });
}
