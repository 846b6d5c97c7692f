// rsm/node/lifeline.ts — a node exits when the control node that started it is gone.
//
// The process that starts a node (cluster/local) sets PARENT_PID_ENV to its own pid. The node
// checks its parent pid a few times a second: once reparented (the control node died, even by
// SIGKILL, and the node was handed to init or a subreaper), it logs why and shuts down. The
// local cluster also starts nodes under a parent-death signal (cluster/local/lifeline.ts);
// this check is what still works without one.

/** PARENT_PID_ENV: the environment variable holding the pid the node must outlive no longer. */
export const PARENT_PID_ENV = 'SPLITBRAIN_PARENT_PID';
const PARENT_POLL_MS = 250;

/** watchParent calls onGone once when this process's parent is no longer the one named in the environment. */
export function watchParent(onGone: (parentPid: number) => void, env: NodeJS.ProcessEnv = process.env): void {
  const text = env[PARENT_PID_ENV];
  if (text === undefined || text === '') return;
  const parentPid = Number(text);
  if (!Number.isSafeInteger(parentPid) || parentPid <= 0) return;
  let gone = false;
  const check = (): void => {
    if (gone || process.ppid === parentPid) return;
    gone = true;
    clearInterval(timer);
    onGone(parentPid);
  };
  const timer = setInterval(check, PARENT_POLL_MS);
  // Never what keeps the node alive: its sockets do that.
  timer.unref();
  check();
}
