// checker/models/index.ts — look up a model by name and semantics (CLI flags, worker threads).
import type { Model, ModelSemantics } from '../types.ts';
import { casRegisterModel } from './cas-register.ts';
import { etcdModel } from './etcd.ts';
import { knossosCasRegisterModel, knossosRegisterModel, mutexModel } from './knossos.ts';
import { knossosMultiRegisterModel } from './knossos-multi-register.ts';
import { kvModel } from './kv.ts';
import { kvUnpartitionedModel } from './kv-unpartitioned.ts';
import { multiRegisterModel } from './multi-register.ts';
import { registerModel } from './register.ts';

type ModelFactory = (init?: unknown) => Model;

/** ModelEntry: a model's factory per semantics; a model with one meaning has only splitbrain. */
interface ModelEntry {
  splitbrain: ModelFactory;
  knossos?: ModelFactory;
}

// Each factory takes the init value; undefined means the model's own default. etcd and the kv
// models follow Porcupine and mutex reads no values: each has one meaning.
const MODELS: Record<string, ModelEntry> = {
  register: { splitbrain: (init) => registerModel(init ?? null), knossos: (init) => knossosRegisterModel(init ?? null) },
  'cas-register': { splitbrain: (init) => casRegisterModel(init ?? null), knossos: (init) => knossosCasRegisterModel(init ?? null) },
  'multi-register': {
    splitbrain: (init) => multiRegisterModel(init ?? null),
    knossos: (init) => knossosMultiRegisterModel(init ?? null) as Model,
  },
  mutex: { splitbrain: () => mutexModel() as Model, knossos: () => mutexModel() as Model },
  etcd: { splitbrain: (init) => etcdModel(init ?? null) },
  kv: { splitbrain: (init) => kvModel(init ?? '') as Model },
  'kv-unpartitioned': { splitbrain: (init) => kvUnpartitionedModel(init ?? '') as Model },
};

/** MODEL_NAMES lists every name getModel accepts. */
export const MODEL_NAMES: readonly string[] = Object.keys(MODELS);

/** MODEL_SEMANTICS lists the semantics names (for --semantics). */
export const MODEL_SEMANTICS: readonly ModelSemantics[] = ['splitbrain', 'knossos'];

function entryOf(name: string): ModelEntry {
  const entry = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
  if (entry === undefined) throw new Error(`unknown model "${name}"; valid models: ${MODEL_NAMES.join(', ')}`);
  return entry;
}

/** supportsSemantics says whether getModel(name, init, semantics) exists. */
export function supportsSemantics(name: string, semantics: ModelSemantics): boolean {
  return semantics === 'splitbrain' || entryOf(name).knossos !== undefined;
}

/**
 * getModel builds a fresh model by name and semantics (default splitbrain); throws listing the
 * valid names on an unknown one, and on knossos for a model Knossos does not define.
 */
export function getModel(name: string, init?: unknown, semantics: ModelSemantics = 'splitbrain'): Model {
  const entry = entryOf(name);
  const factory = semantics === 'knossos' ? entry.knossos : entry.splitbrain;
  if (factory === undefined) {
    throw new Error(`model "${name}" has no knossos semantics (it follows Porcupine)`);
  }
  return factory(init);
}

export {
  casRegisterModel, etcdModel, knossosCasRegisterModel, knossosMultiRegisterModel, knossosRegisterModel, kvModel,
  kvUnpartitionedModel, multiRegisterModel, mutexModel, registerModel,
};
