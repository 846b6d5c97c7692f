// control/progress.ts — live progress: a run's line (bar, op outcomes, faults) and a long check's line.
import type { OutcomeTally } from './runner/recorder.ts';

/** ProgressSnapshot: what the runner exposes for display. */
export interface ProgressSnapshot {
  phase: string;
  elapsedMs: number;
  /** Time left in the main phase (0 afterwards). */
  remainingMs: number;
  tally: OutcomeTally;
  faults: string[];
}

/** ProgressOutput: a TTY gets one line rewritten in place; anything else gets plain lines. */
export interface ProgressOutput {
  isTTY?: boolean;
  /** columns: the terminal's width, when known; a redrawn line must not wrap. */
  columns?: number;
  write(text: string): unknown;
}

const BAR_CELLS = 20;

/** progressBar draws a fraction in [0, 1] as [#####-----]. */
export function progressBar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_CELLS);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_CELLS - filled)}]`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** formatProgress renders one snapshot as a line (no newline). */
export function formatProgress(s: ProgressSnapshot): string {
  const { tally } = s;
  const faults = s.faults.length === 0 ? 'no faults' : `faults: ${s.faults.join(', ')}`;
  // The bar covers the main phase; later phases (heal, recovery, final reads) show it full.
  const fraction = s.remainingMs > 0 ? s.elapsedMs / (s.elapsedMs + s.remainingMs) : 1;
  return `[${s.phase}] ${progressBar(fraction)} ${seconds(s.elapsedMs)} elapsed, ${seconds(s.remainingMs)} left | ` +
    `${tally.invoke} ops: ${tally.ok} ok, ${tally.fail} fail, ${tally.info} info | ${faults}`;
}

/** TTY_INTERVAL_MS: ~4 refreshes a second; PLAIN_INTERVAL_MS: a log line every 5 s. */
const TTY_INTERVAL_MS = 250;
const PLAIN_INTERVAL_MS = 5000;

/**
 * ProgressLine shows a line of progress: on a TTY redrawn in place (carriage return, erase
 * line, cut to the terminal's width so it never wraps), otherwise as a plain line. `offer`
 * draws only when the interval has passed, so callers in a hot loop may call it freely.
 */
export class ProgressLine {
  private drawn = false;
  // The first offer waits one interval too, so work that ends quickly prints nothing.
  private drawnAtMs: number;

  constructor(private readonly out: ProgressOutput, private readonly now: () => number = () => performance.now()) {
    this.drawnAtMs = now();
  }

  /** intervalMs: how often a line is drawn on this output. */
  get intervalMs(): number {
    return this.out.isTTY === true ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS;
  }

  /** offer draws `line()` if the interval has passed since the last draw. */
  offer(line: () => string): void {
    if (this.now() - this.drawnAtMs < this.intervalMs) return;
    this.draw(line());
  }

  /** draw shows `text` now. */
  draw(text: string): void {
    this.drawnAtMs = this.now();
    if (this.out.isTTY === true) {
      const columns = this.out.columns;
      const fitted = columns !== undefined && columns > 1 && text.length >= columns ? `${text.slice(0, columns - 2)}…` : text;
      this.out.write(`\r\x1b[K${fitted}`);
      this.drawn = true;
    } else {
      this.out.write(`${text}\n`);
    }
  }

  /** end leaves the last line on screen with the cursor on a new line. */
  end(): void {
    if (this.out.isTTY === true && this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}

/**
 * RunProgress polls a run's `snapshot` and shows it: on a TTY one line redrawn ~4×/s, otherwise a
 * plain line every 5 s so CI logs stay short.
 */
export class RunProgress {
  private timer: NodeJS.Timeout | undefined;
  private readonly line: ProgressLine;

  constructor(private readonly snapshot: () => ProgressSnapshot, private readonly out: ProgressOutput) {
    this.line = new ProgressLine(out);
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.draw(), this.line.intervalMs);
    this.timer.unref();
  }

  /** draw shows the current snapshot once. */
  draw(): void {
    this.line.draw(formatProgress(this.snapshot()));
  }

  /** stop ends the display, leaving the last line on screen (and the cursor on a new line). */
  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.out.isTTY === true) {
      this.draw();
      this.line.end();
    }
  }
}
