// nemesis/faults/pause.ts — the pause fault: SIGSTOP a node's process, SIGCONT it later (docker pause/unpause).
import { nodeFault } from './node-fault.ts';

/** pauseFault: Jepsen's pause nemesis. */
export const pauseFault = nodeFault({
  kind: 'pause',
  summary: 'SIGSTOP nodes (one, minority, majority, primary, all), SIGCONT them later',
  openF: 'pause',
  closeF: 'resume',
  openWord: 'paused',
  closeWord: 'resumed',
  field: 'paused',
  label: 'process paused',
  color: '#7157d9',
  healRank: 1,
  act: (cluster, node) => cluster.pause(node),
  undo: (cluster, node) => cluster.resume(node),
  stopsProcess: false,
});
