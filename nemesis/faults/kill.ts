// nemesis/faults/kill.ts — the kill fault: SIGKILL (no cleanup, no flush), restart later from the data directory.
import { nodeFault } from './node-fault.ts';

/** killFault: Jepsen's kill nemesis. */
export const killFault = nodeFault({
  kind: 'kill',
  summary: 'SIGKILL nodes (one, minority, majority, primary, all), restart them later from their data directory',
  openF: 'kill',
  closeF: 'start',
  openWord: 'killed',
  closeWord: 'restarted',
  field: 'killed',
  label: 'process killed',
  color: '#c23030',
  // Processes come back after the network heals and paused ones resume.
  healRank: 2,
  act: (cluster, node) => cluster.kill(node),
  undo: (cluster, node) => cluster.start(node),
  stopsProcess: true,
});
