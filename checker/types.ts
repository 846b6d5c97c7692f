// checker/types.ts — the shapes shared by every checker: models and verdicts.
import type { Operation } from '../history/op.ts';

/** Verdict: false beats unknown beats true when results are composed (Jepsen's rule). */
export type Verdict = true | false | 'unknown';

/** composeVerdicts is Jepsen's checker/compose rule: any false is false, else any unknown is unknown. */
export function composeVerdicts(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes(false)) return false;
  return verdicts.includes('unknown') ? 'unknown' : true;
}

/**
 * CheckerResult: what every checker returns. `kind` says which result it is (linearizable,
 * elle, set, counter, bank, ...): the report draws each kind with the view registered for it
 * (reports/views.ts), never by guessing from field names.
 */
export interface CheckerResult {
  kind: string;
  valid: Verdict;
}

/**
 * ModelSemantics: 'splitbrain' is ours (an ok read of nil read nil); 'knossos' follows
 * knossos/model.clj (an ok read of nil read an unknown value, legal in every state; ok ops
 * step with their completion's value). README "Checking histories" explains the difference.
 */
export type ModelSemantics = 'splitbrain' | 'knossos';

/** STATE_TABLE_FULL is what Model.stateId answers for a state its full table could not take. */
export const STATE_TABLE_FULL = -2;
/** STATES_MAX caps a state table under V8's Map size limit (2^24 entries); beyond it: unknown. */
export const STATES_MAX = 1 << 23;

/** StepResult: whether the op is legal in `state`, and the state after it. */
export interface StepResult<S> {
  ok: boolean;
  state: S;
}

/**
 * Model is a sequential specification (Porcupine's shape): init and a pure step, with
 * optional hashing for memoisation, partitioning for P-compositionality and descriptions
 * for humans. `step` must not mutate `state`.
 */
export interface Model<S = unknown> {
  readonly name: string;
  /**
   * semantics says how the model reads values when a name has two meanings (ModelSemantics);
   * workers rebuild the model with getModel(name, initArg, semantics). Default 'splitbrain'.
   */
  readonly semantics?: ModelSemantics;
  /** initArg is the init value the model was built with: getModel(name, initArg) rebuilds it (workers). */
  readonly initArg?: unknown;
  init(): S;
  step(state: S, op: Operation): StepResult<S>;
  /** stateKey maps equal states to equal strings (memoisation). Default: JSON.stringify. */
  stateKey?(state: S): string;
  /**
   * stateId, when given, is used instead of stateKey: a non-negative integer that is equal iff
   * the states are equal (models that intern their states answer it without hashing strings).
   * A model whose own state table is full answers STATE_TABLE_FULL: the search ends unknown.
   */
  stateId?(state: S): number;
  /**
   * readOnly says the op never changes any state (a read). The search then linearizes it as
   * soon as it is legal and tries no alternative there, which prunes read-heavy histories.
   */
  readOnly?(op: Operation): boolean;
  /**
   * grows and readReachable (both or neither) let the search abandon a node early. grows(op)
   * says the op can only take the state forward in a way readReachable understands (a read,
   * an append; not a put). readReachable(state, read) may answer false only when no sequence
   * of growing ops takes `state` to one where the read-only op `read` is legal. A node is then
   * dead when an unlinearized ok read must, by real time, precede every remaining op that does
   * not grow, yet is not reachable from the node's state.
   */
  grows?(op: Operation): boolean;
  readReachable?(state: S, read: Operation): boolean;
  /**
   * valueFlow, for a register (its state is just the value last written): the value an op leaves
   * the register holding and the value it needs it to hold, as keys that are equal iff the values
   * are. The counterexample shrinker (shrink.ts) drops a state-changing op only when no op it keeps
   * needs the value that op leaves, so the set it reports fails inside the whole history too, not
   * just on its own. Without valueFlow the shrinker drops read-only ops alone.
   */
  valueFlow?(op: Operation): ValueFlow;
  /** partition splits ops into independent sub-histories (per key). Default: one partition. */
  partition?(ops: Operation[]): Operation[][];
  describeOperation?(op: Operation): string;
  describeState?(state: S): string;
  /**
   * checkInput says what an op breaks when this model cannot step it (an unknown f, a cas value
   * that is not a pair); undefined when it can. Every op is checked before the search starts,
   * so bad input is reported against its line instead of crashing the search.
   */
  checkInput?(op: Operation): InputProblem | undefined;
}

/** ValueFlow: what a register op leaves in the register and what it needs there (Model.valueFlow). */
export interface ValueFlow {
  leaves?: string;
  requires?: string;
}

/** InputProblem: what a model expected of an op's input, and what it got. */
export interface InputProblem {
  expected: string;
  got: string;
}
