// checker/models/index.ts — look up a model by name (CLI flags, worker threads).
import type { Model } from '../types.ts';
import { casRegisterModel } from './cas-register.ts';
import { etcdModel } from './etcd.ts';
import { kvModel } from './kv.ts';
import { kvUnpartitionedModel } from './kv-unpartitioned.ts';
import { multiRegisterModel } from './multi-register.ts';
import { registerModel } from './register.ts';

type ModelFactory = (init?: unknown) => Model;

// Each factory takes the init value; undefined means the model's own default.
const FACTORIES: Record<string, ModelFactory> = {
  register: (init) => registerModel(init ?? null),
  'cas-register': (init) => casRegisterModel(init ?? null),
  'multi-register': (init) => multiRegisterModel(init ?? null),
  etcd: (init) => etcdModel(init ?? null),
  kv: (init) => kvModel(init ?? '') as Model,
  'kv-unpartitioned': (init) => kvUnpartitionedModel(init ?? '') as Model,
};

/** MODEL_NAMES lists every name getModel accepts. */
export const MODEL_NAMES: readonly string[] = Object.keys(FACTORIES);

/** getModel builds a fresh model by name; throws listing the valid names on an unknown one. */
export function getModel(name: string, init?: unknown): Model {
  const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (factory === undefined) {
    throw new Error(`unknown model "${name}"; valid models: ${MODEL_NAMES.join(', ')}`);
  }
  return factory(init);
}

export { casRegisterModel, etcdModel, kvModel, kvUnpartitionedModel, multiRegisterModel, registerModel };
