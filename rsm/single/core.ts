// rsm/single/core.ts — the `single` protocol: one server, no replication (the lectures' start).
//
// Every mutating command is persisted (one log record each) before its reply leaves, so a
// restarted server replays exactly the acknowledged writes. Reads are applied without a record:
// the runtime releases their reply only after every earlier record is durable, so a read never
// shows a write that a crash could still take back. Every `snapshotEvery` records the log is
// compacted into one snapshot record (option snapshot-every, default 10000).
import { KvStateMachine, type KvSnapshot } from '../kv/state-machine.ts';
import {
  noEffects, type ClientRequest, type CoreConfig, type Effects, type NodeStatus, type ProtocolCore,
} from '../core/types.ts';

/** SingleRecord: what the single core writes to its log. */
export type SingleRecord =
  | { type: 'cmd'; command: ClientRequest['command'] }
  | { type: 'snapshot'; snapshot: KvSnapshot };

/** SingleCore: a state machine behind one server. */
export class SingleCore implements ProtocolCore<never> {
  readonly id: string;
  private sm = new KvStateMachine();
  private recordsSinceSnapshot = 0;
  private readonly snapshotEvery: number;

  constructor(config: CoreConfig, restored: unknown[]) {
    this.id = config.id;
    this.snapshotEvery = Number(config.options['snapshot-every'] ?? 10_000);
    if (!(Number.isSafeInteger(this.snapshotEvery) && this.snapshotEvery > 0)) {
      throw new Error(`single: option snapshot-every must be a positive integer, got ${config.options['snapshot-every']}`);
    }
    for (const record of restored as SingleRecord[]) {
      if (record.type === 'snapshot') {
        this.sm = KvStateMachine.restore(record.snapshot);
        this.recordsSinceSnapshot = 0;
      } else {
        this.sm.apply(record.command);
        this.recordsSinceSnapshot += 1;
      }
    }
  }

  tick(): Effects<never> {
    return noEffects();
  }

  step(): Effects<never> {
    // A single server has no peers; anything arriving is ignored.
    return noEffects();
  }

  request(req: ClientRequest): Effects<never> {
    const effects = noEffects<never>();
    const mutates = req.command.cmd.kind !== 'read' && !this.sm.isDuplicate(req.command);
    const result = this.sm.apply(req.command);
    if (mutates) {
      effects.persist.push({ kind: 'append', record: { type: 'cmd', command: req.command } satisfies SingleRecord });
      this.recordsSinceSnapshot += 1;
      if (this.recordsSinceSnapshot >= this.snapshotEvery) {
        effects.persist.push({ kind: 'reset', records: [{ type: 'snapshot', snapshot: this.sm.snapshot() } satisfies SingleRecord] });
        this.recordsSinceSnapshot = 0;
      }
    }
    effects.reply.push({ reqId: req.reqId, outcome: 'ok', result });
    return effects;
  }

  status(): NodeStatus {
    return { id: this.id, protocol: 'single', role: 'primary', primary: this.id, appliedIndex: this.sm.appliedIndex };
  }
}

/** createSingleCore is the CoreFactory of the single protocol. */
export function createSingleCore(config: CoreConfig, restored: unknown[]): SingleCore {
  return new SingleCore(config, restored);
}
