// cluster/ssh/preflight.ts — before a run starts: can every host of the hosts file run it? One line naming file:line, the host and the fix when not.
//
// A run that cannot work never begins (exit 3, like a Db that cannot run there): the hosts
// file names enough hosts, every host answers, its key is the one in known_hosts, the login is
// let in and may act as root, and the host has the tools the cluster uses, a working iptables,
// libfaketime when clocks are skewed, and the programs the Db launches (installed by apt-get
// first when the hosts file says `apt-install: true`). The cluster's own setup (ssh-cluster.ts)
// then finds what it needs; a host that changes in between fails that setup (a crashed run).
import type { ClusterSpec, HostExecutable, NodeProgram } from '../types.ts';
import { LIBFAKETIME_PATHS } from '../local/faketime.ts';
import { HostConnection, type HostKeyPolicy, shq } from './connection.ts';
import { cgroupScript, describeTaken, hostPort, LISTENERS_SCRIPT, parseListenersOutput, takenPorts, unitsOfPids } from './host-ports.ts';
import type { HostsFile, SshHost } from './hosts-file.ts';
import { IPTABLES_CANDIDATES, removeDeadRuns } from './remote-run.ts';

/** HostRefusal: a run the hosts cannot do, found before it starts (the CLI exits 3 on it). */
export class HostRefusal extends Error {
  override name = 'HostRefusal';
}

/** CLUSTER_TOOLS: what the cluster's own scripts run on every host (remote-run.ts, ssh-cluster.ts), with the Debian package holding each. */
export const CLUSTER_TOOLS: readonly HostExecutable[] = [
  ...['cat', 'mkdir', 'rm', 'mv', 'touch', 'tail', 'wc', 'env', 'id', 'sleep', 'chown'].map((path) => ({ path, package: 'coreutils' })),
  { path: 'setsid', package: 'util-linux' },
  { path: 'tar', package: 'tar' },
  { path: 'grep', package: 'grep' },
  { path: 'ip', package: 'iproute2' },
  { path: 'tc', package: 'iproute2' },
];

/** sshSpecRefusal: a fault machinery --cluster ssh does not offer, as one line naming the flag; null when it offers all the spec asks. */
export function sshSpecRefusal(spec: Pick<ClusterSpec, 'lazyDisk' | 'partitionClients' | 'dataFiles'>): string | null {
  if (spec.lazyDisk === true) return '--nemesis lose-unsynced: --cluster ssh does not support it (unsynced writes are lost from a lazyfs mount, which only --cluster local makes); use --cluster local';
  if (spec.partitionClients === true) return '--partition-clients: --cluster ssh does not support it yet (clients reach every node directly)';
  if (spec.dataFiles === true) return '--nemesis corrupt-file: --cluster ssh does not support it yet (the node files stay on the hosts); use --cluster local or docker';
  return null;
}

/** findIptables: the first iptables front end that works on the host (as root), or null. */
export async function findIptables(conn: HostConnection): Promise<string | null> {
  for (const bin of IPTABLES_CANDIDATES) {
    if ((await conn.exec(`${bin} -w -L INPUT -n >/dev/null 2>&1`)).code === 0) return bin;
  }
  return null;
}

/** findLibfaketime: where libfaketime is on the host, or null. */
export async function findLibfaketime(conn: HostConnection): Promise<string | null> {
  const found = await conn.exec(`for f in ${LIBFAKETIME_PATHS.map(shq).join(' ')}; do [ -f "$f" ] && echo "$f" && exit 0; done; exit 1`);
  return found.code === 0 ? found.stdout.trim() : null;
}

/** missingExecutables: the entries of `wanted` the host has neither at their absolute path nor on its PATH. */
async function missingExecutables(conn: HostConnection, wanted: readonly HostExecutable[]): Promise<HostExecutable[]> {
  if (wanted.length === 0) return [];
  const script = wanted.map((w, i) => `command -v ${shq(w.path)} >/dev/null 2>&1 || echo ${i}`).join('; ');
  const out = await conn.run(`${script}; true`);
  return out.split('\n').filter((l) => l.trim() !== '').map((l) => wanted[Number(l)]);
}

/** describeMissing: `etcd (/usr/bin/etcd, package etcd-server), ...` and the one apt-get line that installs them. */
function describeMissing(missing: readonly HostExecutable[]): string {
  const packages = [...new Set(missing.map((m) => m.package))];
  return `${missing.map((m) => `${m.path} (package ${m.package})`).join(', ')}; install ${packages.length > 1 ? 'them' : 'it'} there (\`apt-get install ${packages.join(' ')}\`)`;
}

/** PreflightOptions: the host key policy and the packages apt-get installs when the hosts file asks. */
export interface PreflightOptions {
  insecureIgnoreHostKeys?: boolean;
  /** Debian packages installed with the Db's when apt-install: true (the NFQUEUE shaper's library). */
  extraPackages?: readonly string[];
  /** Where what apt-get installed is said (default stderr). */
  log?: (line: string) => void;
}

/**
 * preflightHosts checks, before the run, that the hosts of `file` can run `program` as `spec`
 * asks; throws a HostRefusal naming the hosts file's line, the host and the fix. With
 * `apt-install: true` it installs the program's packages a host lacks first, saying so in a
 * line per host (a failed install is refused).
 */
export async function preflightHosts(file: HostsFile, program: NodeProgram, spec: Pick<ClusterSpec, 'lazyDisk' | 'partitionClients' | 'dataFiles' | 'fakeTime'>, options: PreflightOptions = {}): Promise<void> {
  const unsupported = sshSpecRefusal(spec);
  if (unsupported !== null) throw new HostRefusal(unsupported);
  const nodes = program.allNodes;
  if (file.hosts.length < nodes.length) {
    throw new HostRefusal(`${file.origin ?? '--hosts'}: ${nodes.length} nodes (${nodes.join(', ')}) need ${nodes.length} hosts; the file names ${file.hosts.length}`);
  }
  const policy: HostKeyPolicy = options.insecureIgnoreHostKeys === true ? { ignore: true } : { knownHosts: file.knownHosts };
  const used = file.hosts.slice(0, nodes.length);
  const conns = await Promise.allSettled(used.map((host, i) => HostConnection.connect(host, nodes[i], policy)));
  try {
    const failed = conns.findIndex((c) => c.status === 'rejected');
    if (failed >= 0) throw new HostRefusal(`${originOf(used[failed])}: ${((conns[failed] as PromiseRejectedResult).reason as Error).message}`);
    const open = conns.map((c) => (c as PromiseFulfilledResult<HostConnection>).value);
    const problems = await Promise.all(open.map((conn) => hostProblem(conn, file, program, spec, options)));
    const bad = problems.findIndex((p) => p !== null);
    if (bad >= 0) throw new HostRefusal(`${originOf(used[bad])}: ssh ${open[bad].where} (node ${nodes[bad]}): ${problems[bad]}`);
  } finally {
    for (const c of conns) if (c.status === 'fulfilled') c.value.close();
  }
}

function originOf(host: SshHost): string {
  return host.origin ?? `${host.user}@${host.address}:${host.port}`;
}

/** hostProblem: why one host cannot run the program, or null. Root first: every later check runs as root. */
async function hostProblem(conn: HostConnection, file: HostsFile, program: NodeProgram, spec: Pick<ClusterSpec, 'fakeTime'>, options: PreflightOptions): Promise<string | null> {
  const root = await conn.sudoRefusal();
  if (root !== null) return root;
  const tools = await missingExecutables(conn, CLUSTER_TOOLS);
  if (tools.length > 0) return `the cluster's tools are missing: ${describeMissing(tools)}`;
  if ((await findIptables(conn)) === null) return `no working iptables (tried ${IPTABLES_CANDIDATES.join(', ')}): partitions need one; \`apt-get install iptables\` there`;
  if (spec.fakeTime === true && (await findLibfaketime(conn)) === null) {
    return `clock faults need libfaketime (looked in ${LIBFAKETIME_PATHS.join(', ')}); install it there (\`apt-get install faketime\`)`;
  }
  const wanted = program.hostExecutables ?? [];
  const log = options.log ?? ((line: string): void => void process.stderr.write(`${line}\n`));
  if (file.aptInstall) {
    const why = await aptInstall(conn, [...(program.hostPackages ?? []), ...(options.extraPackages ?? [])], log);
    if (why !== null) return why;
  }
  const missing = await missingExecutables(conn, wanted);
  if (missing.length > 0) {
    const hint = file.aptInstall ? ' (apt-install: true installed the packages, but these are still missing)' : ', or set apt-install: true in the hosts file';
    return `--db ${program.name} needs ${describeMissing(missing)}${hint}`;
  }
  // Last: installing a package may have started its own service, which now holds the DB's ports.
  return (await tooOld(conn, program.name, wanted)) ?? (await portsTaken(conn, program, log));
}

/**
 * portsTaken: why the node cannot listen on its ports at the host (something holds one, named
 * with its process and systemd unit when ss and /proc say), or null; the runs a dead control node
 * left there are removed first. A host with neither ss nor /proc/net/tcp is let through, with a
 * line saying the ports were not checked.
 */
async function portsTaken(conn: HostConnection, program: NodeProgram, log: (line: string) => void): Promise<string | null> {
  // A node a dead control node of this machine left would hold the ports; the run removes such leftovers at setup anyway.
  await removeDeadRuns(conn, log);
  const found = parseListenersOutput(await conn.run(LISTENERS_SCRIPT));
  if (found.source === 'none') {
    log(`ssh ${conn.where} (node ${conn.node}): ports ${program.ports.map(hostPort).join(', ')} not checked (the host has neither ss nor /proc/net/tcp); a node that cannot bind one fails at its start`);
    return null;
  }
  const taken = takenPorts(program, found.listeners);
  if (taken.length === 0) return null;
  const pids = [...new Set(taken.flatMap((t) => t.holders.flatMap((l) => (l.process === undefined ? [] : [l.process.pid]))))];
  const units = pids.length === 0 ? new Map<number, string>() : unitsOfPids(await conn.run(cgroupScript(pids)));
  return describeTaken(program.name, taken, found.source, units);
}

/** tooOld: why one of `wanted` is older than its majorMin (from `--version`), or null. */
async function tooOld(conn: HostConnection, db: string, wanted: readonly HostExecutable[]): Promise<string | null> {
  for (const w of wanted) {
    if (w.majorMin === undefined) continue;
    const said = (await conn.exec(`${shq(w.path)} --version`)).stdout.trim().split('\n')[0] ?? '';
    const major = Number(/\d+/.exec(said)?.[0]);
    if (!(major >= w.majorMin)) return `--db ${db} needs ${w.path} ${w.majorMin} or later (package ${w.package}); \`${w.path} --version\` there says ${JSON.stringify(said)}`;
  }
  return null;
}

/** packagesMissing: the entries of `packages` dpkg on the host does not list as installed. */
async function packagesMissing(conn: HostConnection, packages: readonly string[]): Promise<string[]> {
  // dpkg-query prints the packages it knows (one it never heard of only on stderr).
  const res = await conn.exec(`dpkg-query -W -f='\${Package} \${db:Status-Abbrev}\\n' ${packages.map(shq).join(' ')} 2>/dev/null`);
  const installed = new Set(res.stdout.split('\n').filter((l) => / ii\s*$/.test(l)).map((l) => l.split(' ')[0].split(':')[0]));
  return packages.filter((p) => !installed.has(p));
}

/** aptLastWords: the last two lines apt printed (its error is last), for a refusal. */
function aptLastWords(res: { stdout: string; stderr: string }): string {
  return (res.stderr || res.stdout).trim().split('\n').slice(-2).join(' | ');
}

/**
 * aptInstall installs those of `packages` the host lacks: `apt-get update` (a host's package
 * lists may be missing or stale), then `apt-get install`; logs what apt set up. An update that
 * fails is a warning, not a refusal: apt exits 100 when any one source is broken (an expired
 * key, a dead PPA) though the lists of the others are fresh, so the install is tried from the
 * lists the host has and refused only if it fails, quoting both. Null when it worked or nothing
 * was missing, else why, with apt's last words.
 */
async function aptInstall(conn: HostConnection, packages: readonly string[], log: (line: string) => void): Promise<string | null> {
  if (packages.length === 0) return null;
  if ((await conn.exec('command -v apt-get >/dev/null 2>&1')).code !== 0) {
    return `apt-install: true, but the host has no apt-get (not Debian or Ubuntu?): install ${packages.join(' ')} yourself and set apt-install: false`;
  }
  const missing = await packagesMissing(conn, packages);
  if (missing.length === 0) return null;
  const host = `ssh ${conn.where} (node ${conn.node})`;
  const mirror = 'the host needs a Debian mirror it can reach that has them, or the packages installed and apt-install: false';
  const update = await conn.exec('DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null');
  const updateFailed = update.code === 0 ? '' : `\`apt-get update -q\` exited ${update.code} (${aptLastWords(update)})`;
  if (updateFailed !== '') log(`${host}: ${updateFailed}; installing from the package lists the host has`);
  const line = `apt-get install -y -q ${missing.join(' ')}`;
  const res = await conn.exec(`DEBIAN_FRONTEND=noninteractive ${line} </dev/null`);
  if (res.code !== 0) return `apt-install: true, but \`${line}\` exited ${res.code} (${aptLastWords(res)})${updateFailed === '' ? '' : ` after ${updateFailed}`}: ${mirror}`;
  // dpkg says "Setting up etcd-server (3.4.23-4+b4) ..." for each package it configured, dependencies included.
  const setUp = [...res.stdout.matchAll(/^Setting up (\S+) \(([^)]+)\)/gm)].map((m) => `${m[1]} ${m[2]}`);
  // None: apt found nothing to do (a package on hold, say): not "installed", but what apt said.
  if (setUp.length > 0) log(`${host}: apt-get installed ${setUp.join(', ')}`);
  else log(`${host}: apt-get ran for ${missing.join(', ')}, and dpkg set nothing up (${aptLastWords({ stdout: res.stdout, stderr: '' })})`);
  return null;
}
