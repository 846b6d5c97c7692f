// cluster/docker/log-follower.ts — a node container's output appended to its log file as it is written.
//
// Attached before each start, so no line is missed or repeated, and written to the run's log
// directory (the store) at once: if the control node dies, the logs up to that moment are
// there. The engine ends the attach stream when the container stops; stop() ends it sooner.
import * as fs from 'node:fs';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';

/** LogFollower: one attach stream into one file; stop() resolves once the file is closed. */
export interface LogFollower {
  stop(): Promise<void>;
}

/** followLogs attaches to a (not yet started) container and appends its stdout and stderr to file. */
export async function followLogs(docker: Docker, container: Docker.Container, file: string): Promise<LogFollower> {
  const stream = (await container.attach({ stream: true, stdout: true, stderr: true, logs: false })) as unknown as Duplex;
  const out = fs.createWriteStream(file, { flags: 'a' });
  docker.modem.demuxStream(stream, out, out);
  const closed = new Promise<void>((resolve) => out.once('close', () => resolve()));
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    out.end();
  };
  stream.once('end', end);
  stream.once('close', end);
  stream.once('error', end);
  return {
    stop: async () => {
      stream.destroy();
      end();
      await closed;
    },
  };
}
