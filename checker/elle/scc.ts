// checker/elle/scc.ts — Tarjan's strongly connected components, iterative, over edges of chosen types.
import { REALTIME, type Graph } from './graph.ts';

/**
 * SccWorkspace holds Tarjan's arrays once per graph so that the many small searches inside
 * components (one per anomaly class) cost their size, not the graph's.
 */
export class SccWorkspace {
  private readonly index: Int32Array;
  private readonly low: Int32Array;
  private readonly onStack: Uint8Array;
  private readonly stack: Int32Array;
  private readonly callNode: Int32Array;
  private readonly callEdge: Int32Array;
  /** Per call frame: the next id of the node's realtime range to try, once its stored edges are done. */
  private readonly callRange: Int32Array;

  constructor(private readonly g: Graph) {
    const n = g.nodeCount;
    this.index = new Int32Array(n).fill(-1);
    this.low = new Int32Array(n);
    this.onStack = new Uint8Array(n);
    this.stack = new Int32Array(n);
    this.callNode = new Int32Array(n);
    this.callEdge = new Int32Array(n);
    this.callRange = new Int32Array(n);
  }

  /**
   * components returns the components with at least two nodes of the subgraph made of `nodes`
   * (those v with label[v] === labelValue when label is given) and the edges whose kinds meet
   * `mask`. A component is listed as its node ids.
   */
  components(nodes: Int32Array, mask: number, label: Int32Array | null, labelValue: number): Int32Array[] {
    const g = this.g;
    const { offsets, targets, kinds } = g;
    const { index, low, onStack, stack, callNode, callEdge, callRange } = this;
    // Hoisted to locals: property loads through g.realtime in this loop cost more than the walk.
    const rt = (mask & REALTIME) !== 0 ? g.realtime : null;
    const none = new Int32Array(0);
    const rtLo = rt === null ? none : rt.lo, rtHi = rt === null ? none : rt.hi, rtOnly = rt === null ? none : rt.only;
    const rtSkip = rt === null ? new Uint8Array(0) : rt.skip;
    const ranged = rt !== null;
    const found: Int32Array[] = [];
    let counter = 0;
    let sp = 0;
    // Indexed loops: for-of over a typed array allocated an iterator result per node here.
    for (let r = 0; r < nodes.length; r++) {
      const root = nodes[r];
      if (index[root] !== -1) continue;
      let csp = 0;
      index[root] = low[root] = counter++;
      stack[sp++] = root; onStack[root] = 1;
      callNode[csp] = root; callEdge[csp] = offsets[root]; callRange[csp] = ranged ? rtLo[root] : 0; csp++;
      while (csp > 0) {
        const v = callNode[csp - 1];
        const i = callEdge[csp - 1];
        let w = -1;
        if (i < offsets[v + 1]) {
          callEdge[csp - 1] = i + 1;
          if ((kinds[i] & mask) === 0) continue;
          w = targets[i];
        } else if (ranged && rtOnly[v] > 0 && callRange[csp - 1] < rtHi[v]) {
          // Realtime successors, after the stored edges (the order forEachOut gives). A target
          // that is also a stored edge's is not skipped: Tarjan already met it there, so meeting
          // it again changes nothing, and that is cheaper than looking it up.
          w = callRange[csp - 1]++;
          if (rtSkip[w] === 1) continue;
        }
        if (w >= 0) {
          if (label !== null && label[w] !== labelValue) continue;
          if (index[w] === -1) {
            index[w] = low[w] = counter++;
            stack[sp++] = w; onStack[w] = 1;
            callNode[csp] = w; callEdge[csp] = offsets[w]; callRange[csp] = ranged ? rtLo[w] : 0; csp++;
          } else if (onStack[w] === 1 && index[w] < low[v]) {
            low[v] = index[w];
          }
          continue;
        }
        csp--;
        if (low[v] === index[v]) {
          let start = sp - 1;
          while (stack[start] !== v) start--;
          if (sp - start >= 2) found.push(stack.slice(start, sp));
          for (let j = start; j < sp; j++) onStack[stack[j]] = 0;
          sp = start;
        }
        if (csp > 0) {
          const u = callNode[csp - 1];
          if (low[v] < low[u]) low[u] = low[v];
        }
      }
    }
    for (let r = 0; r < nodes.length; r++) index[nodes[r]] = -1;
    return found;
  }
}
