// test/support/liveness.ts — what cleanup tests ask from outside: is a pid alive, does a port refuse connections.
import net from 'node:net';

/** isAlive: whether a process with this pid exists (signal 0 probes without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** portRefuses: whether nothing listens on 127.0.0.1:port any more. */
export function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}
