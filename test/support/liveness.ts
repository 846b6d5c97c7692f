// test/support/liveness.ts — what cleanup tests ask from outside: is a pid alive, does a port refuse connections.
import net from 'node:net';
import { isGone } from '../../cluster/local/process-tree.ts';

/** isAlive: whether a process with this pid is still running (a zombie is dead: only its pid is left to reap). */
export function isAlive(pid: number): boolean {
  return !isGone(pid);
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
