// test/ssh-e2e.test.ts — whole runs over --cluster ssh against sshd containers, and what they leave on the hosts.
//
// Four containers running sshd on an internal network stand in for machines
// (test/support/sshd-hosts.ts). raft stays linearizable under partition, pause, packet loss
// + rate, and delay + duplication + reordering by the NFQUEUE shaper uploaded to the hosts
// (each seen in force on the hosts), a control node interrupted mid-run (SIGINT, every fault
// in force) leaves the hosts clean, primary-backup is caught under
// partitions, raft --reads lease is caught under a libfaketime clock skew; etcd, postgres and
// redis-sentinel (their packages installed on the hosts) run unchanged; a host
// that drops off mid-run makes the run crashed with the host named, never a verdict; a wrong
// host key is refused. After each run no process, iptables rule, qdisc or run dir is left on any
// host (read back from inside the containers). Needs a Docker engine and sshd/ssh-keygen on the
// control node (fails in CI without them, skips outside).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient, dockerReachable, execIn } from '../cluster/docker/engine.ts';
import { NFQ_SHAPER_HOST_PACKAGES } from '../cluster/native-build.ts';
import { SshCluster } from '../cluster/ssh/ssh-cluster.ts';
import { resolveOptions } from '../control/config.ts';
import { partsFactory, sshParts } from '../control/runner/parts.ts';
import type { PartsFactory } from '../control/runner/run-test.ts';
import { runTest, type RunOutcome } from '../control/runner/run-test.ts';
import { PG_EXCLUDE, PG_PACKAGES, PG_USER } from '../db/postgres/postgres.ts';
import { REDIS_PACKAGES } from '../db/redis-sentinel/index.ts';
import { createRsmDb } from '../db/rsm.ts';
import { readHistory } from '../history/read.ts';
import { type HostLeftovers, SshdHosts } from './support/sshd-hosts.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const docker = dockerClient();
const reachable = await dockerReachable(docker);
const hasSshd = fs.existsSync('/usr/sbin/sshd') && spawnSync('ssh-keygen', ['-?']).error === undefined;
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const HOW = 'needs a Docker engine (`sudo bash scripts/docker-setup.sh`) and openssh-server + openssh-client (.ci/run installs them)';
const stores: string[] = [];
let hosts: SshdHosts;

/** clean: nothing of any run on any host. */
async function expectHostsClean(): Promise<void> {
  for (const [k, left] of (await hosts.inspectAll()).entries()) expect(left, `host ${k + 1}`).toEqual({ processes: [], rules: [], qdiscs: [], runDirs: [] });
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

/**
 * FAULTS_SCHEDULE: loss and a rate on every link, a partition, a pause of the leader, then
 * delay, duplication and reordering (the NFQUEUE shaper: these kernels lack netem), then all healed.
 */
const FAULTS_SCHEDULE = `- {at: 500ms, do: packet, target: all, loss: 20%, rate: 2mbit}
- {at: 1500ms, do: partition, topology: primary}
- {at: 2500ms, do: heal}
- {at: 3s, do: pause, target: primary}
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

    it('refuses a host whose key is not the one in known_hosts, before logging in', async () => {
      const wrong = path.join(hosts.dir, 'known_hosts_wrong');
      const lines = fs.readFileSync(hosts.knownHosts, 'utf8').trim().split('\n');
      // Host 1 is listed with host 2's key.
      fs.writeFileSync(wrong, `${lines[0].split(' ')[0]} ${lines[1].split(' ').slice(1).join(' ')}\n`);
      const file = { hosts: hosts.hosts.slice(0, 3).map((h) => ({ address: h.address, port: 22, user: 'root', keyFile: hosts.clientKey, sudo: false })), knownHosts: wrong, aptInstall: false };
      const db = createRsmDb({ protocol: 'raft', nodeCount: 3 });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ssh-e2e-'));
      stores.push(dir);
      const cluster = new SshCluster({ dataDir: dir, logDir: dir }, db, { hosts: file });
      await expect(cluster.setup()).rejects.toThrow(new RegExp(`host key of ${hosts.hosts[0].address.replace(/\./g, '\\.')} does not match`));
      await expectHostsClean();
    }, 90_000);
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
