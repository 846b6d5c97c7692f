// checker/linearizable/index.ts — the linearizability checker's public API.
export { checkLinearizable, checkOperations, checkPaired, type CheckOptions } from './check.ts';
export { formatLinearizabilityResult } from './format.ts';
export {
  type LinearizabilityResult,
  type OperationView,
  type PartitionFailure,
  type PrefixStep,
} from './result.ts';
export { LinearizationSearch, type SearchStatus } from './search.ts';
