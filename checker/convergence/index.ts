// checker/convergence/index.ts — the convergence checker's public face.
export { checkConvergence, compareStamps, faultWindows, type ConvergenceResult, type FaultRoles, type FinalRead, type LostWrite, type StaleReads } from './check.ts';
