// cluster/ssh/remote-run.ts — the shell side of one run on one host: its directory, its chains, its clean-up script.
//
// Everything a run puts on a host lives under RUN_ROOT/<run id>: the program's files, the
// node's data dir and log, its pid, the libfaketime offset file and cleanup.sh. The run's
// iptables rules sit in two chains of its own (SB<id>-in hooked into INPUT, SB<id>-out into
// OUTPUT), so removing them never touches the host's own rules. cleanup.sh undoes all of it:
// the teardown runs it, and so does the watchdog when the connection drops (a dead control node).
import { ownerState, parseOwner } from '../owner.ts';
import { type HostConnection, shq } from './connection.ts';

/** RUN_ROOT: where runs live on a host. */
export const RUN_ROOT = '/tmp/splitbrain-ssh';

/** RemoteRun: one run's paths and names on one host. */
export class RemoteRun {
  readonly dir: string;
  readonly inChain: string;
  readonly outChain: string;

  constructor(readonly runId: string, readonly node: string, readonly iptables: string, readonly dev: string) {
    if (!/^[a-z0-9-]{1,20}$/.test(runId)) throw new Error(`ssh cluster: bad run id ${JSON.stringify(runId)}`);
    this.dir = `${RUN_ROOT}/${runId}`;
    // iptables chain names hold at most 28 characters.
    this.inChain = `SB${runId}-in`;
    this.outChain = `SB${runId}-out`;
  }

  get programDir(): string {
    return `${this.dir}/app`;
  }
  get dataDir(): string {
    return `${this.dir}/data/${this.node}`;
  }
  get logFile(): string {
    return `${this.dir}/${this.node}.log`;
  }
  get pidFile(): string {
    return `${this.dir}/pid`;
  }
  get clockFile(): string {
    return `${this.dir}/faketime`;
  }
  /** shaperPath: where the NFQUEUE shaper is uploaded (its pid file goes in dir). */
  get shaperPath(): string {
    return `${this.dir}/bin/nfq-shaper`;
  }
  get cleanupScript(): string {
    return `${this.dir}/cleanup.sh`;
  }

  /** ipt: one iptables command line. */
  ipt(args: string): string {
    return `${shq(this.iptables)} -w ${args}`;
  }

  /** cleanupText: cleanup.sh — kill the node's process group, drop the chains, stop the run's shaper, drop its qdisc, remove the dir. Safe to run twice. */
  cleanupText(): string {
    return [
      '#!/bin/sh',
      `R=${shq(this.dir)}`,
      'if [ -f "$R/pid" ]; then p=$(cat "$R/pid"); kill -CONT "-$p" 2>/dev/null; kill -KILL "-$p" 2>/dev/null; fi',
      `${this.ipt(`-D INPUT -j ${this.inChain}`)} 2>/dev/null`,
      `${this.ipt(`-F ${this.inChain}`)} 2>/dev/null; ${this.ipt(`-X ${this.inChain}`)} 2>/dev/null`,
      `${this.ipt(`-D OUTPUT -j ${this.outChain}`)} 2>/dev/null`,
      `${this.ipt(`-F ${this.outChain}`)} 2>/dev/null; ${this.ipt(`-X ${this.outChain}`)} 2>/dev/null`,
      // The run's NFQUEUE shaper (its pid file is in the run dir), once no rule feeds it.
      `[ -f ${shq(`${this.dir}/nfq-shaper.pid`)} ] && ${shq(this.shaperPath)} stop --state-dir ${shq(this.dir)} >/dev/null 2>&1`,
      // Only the root qdisc this run put there (htb, handle 1:) goes; a host's own stays.
      `if tc qdisc show dev ${shq(this.dev)} 2>/dev/null | grep -q '^qdisc htb 1: root'; then tc qdisc del dev ${shq(this.dev)} root; fi`,
      'rm -rf "$R"',
      '',
    ].join('\n');
  }

  /** prepareScript: make the dirs, hook the chains, and write cleanup.sh and the owner line. */
  prepareScript(owner: string): string {
    return [
      `mkdir -p ${shq(this.programDir)} ${shq(this.dataDir)}`,
      `printf '%s\\n' ${shq(owner)} > ${shq(`${this.dir}/owner`)}`,
      `cat > ${shq(this.cleanupScript)}`,
      `${this.ipt(`-N ${this.inChain}`)} && ${this.ipt(`-I INPUT -j ${this.inChain}`)}`,
      `${this.ipt(`-N ${this.outChain}`)} && ${this.ipt(`-I OUTPUT -j ${this.outChain}`)}`,
    ].join(' && ');
  }

  /** startScript: start the command in its own session (its pid is its process group) appending to the log; prints the pid. */
  startScript(command: string, args: readonly string[], env: Record<string, string>, cwd: string, asUser: string | undefined): string {
    const envArgs = Object.entries(env).map(([k, v]) => shq(`${k}=${v}`)).join(' ');
    const argv = [command, ...args].map(shq).join(' ');
    // When the host logs in as root and the program refuses root (postgres), setpriv (util-linux,
    // no PAM: runuser aborts on a host without it) drops to the user; its data dir is handed over.
    const user = asUser === undefined ? '' : `if [ "$(id -u)" = 0 ]; then chown -R ${shq(asUser)} ${shq(this.dataDir)}; U="setpriv --reuid=$(id -u ${shq(asUser)}) --regid=$(id -g ${shq(asUser)}) --init-groups --"; fi; `;
    return `U=; ${user}cd ${shq(cwd)} && touch ${shq(this.logFile)} && setsid $U env ${envArgs} ${argv} >>${shq(this.logFile)} 2>&1 </dev/null & p=$!; echo $p > ${shq(this.pidFile)}; echo $p`;
  }
}

/** IPTABLES_CANDIDATES: the front ends tried on a host, in order. */
export const IPTABLES_CANDIDATES = ['iptables', 'iptables-nft', 'iptables-legacy'];

/** LEFTOVERS_SCRIPT: print `dir owner` for every run dir on the host (the control node decides which owners are dead). */
export const LEFTOVERS_SCRIPT = `for d in ${RUN_ROOT}/*/; do [ -f "$d/owner" ] && printf '%s %s\\n' "$d" "$(cat "$d/owner")"; done; true`;

/** removeDeadRuns runs the cleanup.sh of the host's run dirs whose control node (this machine) is gone, and removes them, saying so. */
export async function removeDeadRuns(conn: HostConnection, warn: (line: string) => void): Promise<void> {
  for (const line of (await conn.run(LEFTOVERS_SCRIPT)).split('\n')) {
    const [dir, ownerText] = line.split(' ');
    const owner = ownerText === undefined ? null : parseOwner(ownerText);
    if (owner === null || ownerState(owner) !== 'dead') continue;
    await conn.run(`[ -f ${shq(`${dir}cleanup.sh`)} ] && sh ${shq(`${dir}cleanup.sh`)}; rm -rf ${shq(dir)}`);
    warn(`ssh cluster: removed ${dir} on ${conn.where}, left by a dead control node`);
  }
}
