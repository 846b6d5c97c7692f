// checker/elle/index.ts — the Elle-style transactional checker's public API.
export { checkElle, ANOMALY_TYPES } from './check.ts';
export { formatElleResult } from './format.ts';
export { CONSISTENCY_MODEL_NAMES, canonicalModel, forbiddenBy, violatedModels } from './models.ts';
export type {
  AnomalyType, CycleAnomalyType, CycleStep, EdgeType, ElleAnomaly, ElleOptions, ElleResult, ElleTxnView,
  ElleWorkload, PointAnomalyType, UnknownComponent,
} from './types.ts';
