// cluster/docker/engine.ts — reaching the Docker engine: the client, where published ports live, exec and logs.
//
// Nothing here assumes the control node is the Docker host: the client follows DOCKER_HOST
// (as the docker CLI does), and ports published by containers are reached on the host named
// there (tcp://HOST:PORT or ssh://USER@HOST), or on 127.0.0.1 for a local socket.
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import type { BatchResult } from '../packet-shaper.ts';

/** PublishTarget: where a container's published port is bound, and the host clients dial. */
export interface PublishTarget {
  /** HostIp of the port binding: loopback only for a local engine. */
  bindIp: string;
  /** Host name or address in the endpoints' URLs. */
  urlHost: string;
}

/** publishTarget derives bind address and URL host from a DOCKER_HOST value (undefined: local socket). */
export function publishTarget(dockerHost: string | undefined): PublishTarget {
  if (dockerHost === undefined || dockerHost === '' || dockerHost.startsWith('unix://') || dockerHost.startsWith('npipe://')) {
    return { bindIp: '127.0.0.1', urlHost: '127.0.0.1' };
  }
  let url: URL;
  try {
    url = new URL(dockerHost);
  } catch {
    throw new Error(`DOCKER_HOST: cannot parse ${JSON.stringify(dockerHost)}; expected unix:///path, tcp://HOST:PORT or ssh://USER@HOST`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new Error(`DOCKER_HOST: no host in ${JSON.stringify(dockerHost)}`);
  const loopback = host === 'localhost' || host.startsWith('127.') || host === '::1';
  // A remote engine's loopback is not ours: the ports must listen where the control node can dial.
  return loopback ? { bindIp: '127.0.0.1', urlHost: '127.0.0.1' } : { bindIp: '0.0.0.0', urlHost: host.includes(':') ? `[${host}]` : host };
}

/** engineOnThisMachine: whether the engine shares the control node's filesystem (a unix socket), so host paths can be bind-mounted. */
export function engineOnThisMachine(dockerHost: string | undefined): boolean {
  return dockerHost === undefined || dockerHost === '' || dockerHost.startsWith('unix://');
}

/** dockerClient makes a client configured from DOCKER_HOST / DOCKER_CERT_PATH like the docker CLI. */
export function dockerClient(): Docker {
  return new Docker();
}

/** dockerReachable tells whether the engine answers a ping within timeoutMs. */
export async function dockerReachable(docker: Docker = dockerClient(), timeoutMs = 3000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([docker.ping().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** demuxLogs turns a non-TTY log buffer (8-byte frame headers) into text; plain text passes through. */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buf.length) {
    const stream = buf[offset];
    const size = buf.readUInt32BE(offset + 4);
    if (stream > 2 || buf[offset + 1] !== 0 || buf[offset + 2] !== 0 || buf[offset + 3] !== 0 || offset + 8 + size > buf.length) {
      return buf.toString('utf8');
    }
    parts.push(buf.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** containerLogs returns stdout+stderr of a container (all runs of it) as text. */
export async function containerLogs(container: Docker.Container): Promise<string> {
  const buf = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  return demuxLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
}

/** ExecResult: the exit code and combined output of a command run in a container. */
export interface ExecResult {
  exitCode: number;
  output: string;
}

const EXEC_POLLS_MAX = 100;
const EXEC_POLL_MS = 20;

/** execIn runs cmd inside a running container and waits for it to finish. */
export async function execIn(docker: Docker, container: Docker.Container, cmd: string[]): Promise<ExecResult> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  // The stream can end a moment before the engine records the exit code.
  for (let i = 0; i < EXEC_POLLS_MAX; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, output: Buffer.concat(chunks).toString('utf8') };
    await new Promise((r) => setTimeout(r, EXEC_POLL_MS));
  }
  throw new Error(`exec ${cmd.join(' ')}: no exit code after ${EXEC_POLLS_MAX * EXEC_POLL_MS} ms`);
}

/** execOk runs cmd and throws with its output unless it exits 0. */
export async function execOk(docker: Docker, container: Docker.Container, cmd: string[]): Promise<string> {
  const res = await execIn(docker, container, cmd);
  if (res.exitCode !== 0) throw new Error(`exec ${cmd.join(' ')}: exit ${res.exitCode}: ${res.output.trim()}`);
  return res.output;
}

// Run by the container's own node (IMAGE_PATHS.node), so a batch costs one exec round trip, not one per command.
const RUN_ALL_SCRIPT = `const { spawnSync } = require('node:child_process');
let completed = 0, error;
for (const argv of JSON.parse(process.argv[1])) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) { error = argv.join(' ') + ': exit ' + (r.status ?? r.signal ?? r.error) + ': ' + (r.stdout + r.stderr).trim(); break; }
  completed++;
}
process.stdout.write('\\n' + JSON.stringify({ completed, error }) + '\\n');`;

/** execAll runs the commands `argvs` in order inside a running container in one exec (by its `node` at `nodeBin`), stopping at the first failure. */
export async function execAll(docker: Docker, container: Docker.Container, nodeBin: string, argvs: readonly string[][]): Promise<BatchResult> {
  if (argvs.length === 0) return { completed: 0 };
  const res = await execIn(docker, container, [nodeBin, '-e', RUN_ALL_SCRIPT, JSON.stringify(argvs)]);
  const last = res.output.trim().split('\n').pop() ?? '';
  if (res.exitCode !== 0 || !last.startsWith('{')) return { completed: 0, error: `exec ${nodeBin} (a batch of ${argvs.length}): exit ${res.exitCode}: ${res.output.trim()}` };
  return JSON.parse(last) as BatchResult;
}
