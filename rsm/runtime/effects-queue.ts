// rsm/runtime/effects-queue.ts — the one ordering rule of every runtime: persist, then send and reply, FIFO.
//
// A core's Effects are carried out strictly in order: a later batch's sends and replies wait for
// every earlier batch's persist, so nothing leaves the node that depends on state not yet on
// disk. Messages `sendsEarly` names depend on none and go at once (messages to the node itself
// always wait: cores use them to learn that their writes are durable); with `repliesEarly` the
// core's replies never depend on a pending write. The real runtime (node-runtime.ts) and the
// simulator (cluster/sim) both drive cores through this queue.
import type { ClientReply, Effects, PersistOp } from '../core/types.ts';

/** EffectsSinks: where a runtime carries out effects. */
export interface EffectsSinks {
  /** selfId: the core's own id (messages to it loop back through sendSelf). */
  selfId: string;
  send(to: string, msg: unknown): void;
  /** sendSelf delivers a message to the node itself, later, as the network would. */
  sendSelf(msg: unknown): void;
  reply(reply: ClientReply): void;
  /** persist issues the ops in order and calls done once the last is durable (a failure is the sink's to handle). */
  persist(ops: PersistOp[], done: () => void): void;
  sendsEarly?: (msg: unknown) => boolean;
  repliesEarly?: boolean;
}

interface Batch {
  effects: Effects<unknown>;
  durable: boolean;
}

/** EffectsQueue: absorb() each Effects value a core returns; clear() forgets what is queued (a crash). */
export class EffectsQueue {
  private batches: Batch[] = [];
  /** generation: bumped by clear(), so a persist finishing after a crash releases nothing. */
  private generation = 0;

  constructor(private readonly sinks: EffectsSinks) {}

  /** absorb queues one Effects value and starts its persist; sends/replies follow in order. */
  absorb(effects: Effects<unknown>): void {
    const sinks = this.sinks;
    const early = sinks.sendsEarly;
    if (early !== undefined && effects.send.length > 0) {
      // `later` is made only once a message goes early: most batches keep their Effects as they are.
      const sends = effects.send;
      let later: Effects<unknown>['send'] | null = null;
      for (let i = 0; i < sends.length; i += 1) {
        const s = sends[i];
        if (s.to !== sinks.selfId && early(s.msg)) {
          later ??= sends.slice(0, i);
          sinks.send(s.to, s.msg);
        } else if (later !== null) {
          later.push(s);
        }
      }
      if (later !== null) effects = { ...effects, send: later };
    }
    if (sinks.repliesEarly === true && effects.reply.length > 0) {
      for (const reply of effects.reply) sinks.reply(reply);
      effects = { ...effects, reply: [] };
    }
    if (effects.persist.length === 0 && effects.send.length === 0 && effects.reply.length === 0) return;
    const batch: Batch = { effects, durable: effects.persist.length === 0 };
    this.batches.push(batch);
    if (!batch.durable) {
      const generation = this.generation;
      sinks.persist(effects.persist, () => {
        if (generation !== this.generation) return;
        batch.durable = true;
        this.release();
      });
    }
    this.release();
  }

  /** clear drops every queued batch: their sends and replies never happen. */
  clear(): void {
    this.batches = [];
    this.generation += 1;
  }

  /** release carries out sends and replies of the durable batches at the head of the queue. */
  private release(): void {
    while (this.batches.length > 0 && this.batches[0].durable) {
      const { effects } = this.batches.shift()!;
      for (const { to, msg } of effects.send) {
        if (to === this.sinks.selfId) this.sinks.sendSelf(msg);
        else this.sinks.send(to, msg);
      }
      for (const reply of effects.reply) this.sinks.reply(reply);
    }
  }
}
