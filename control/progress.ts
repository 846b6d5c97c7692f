// control/progress.ts — the live progress line: elapsed/remaining, op outcomes, faults in force.
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
  write(text: string): unknown;
}

/** formatProgress renders one snapshot as a line (no newline). */
export function formatProgress(s: ProgressSnapshot): string {
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
  const { tally } = s;
  const faults = s.faults.length === 0 ? 'no faults' : `faults: ${s.faults.join(', ')}`;
  return `[${s.phase}] ${seconds(s.elapsedMs)} elapsed, ${seconds(s.remainingMs)} left | ` +
    `${tally.invoke} ops: ${tally.ok} ok, ${tally.fail} fail, ${tally.info} info | ${faults}`;
}

/** TTY_INTERVAL_MS: ~4 refreshes a second; PLAIN_INTERVAL_MS: a log line every 5 s. */
const TTY_INTERVAL_MS = 250;
const PLAIN_INTERVAL_MS = 5000;

/**
 * ProgressLine polls `snapshot` and shows it: on a TTY one line redrawn ~4×/s (carriage return
 * and erase-line), otherwise a plain line every 5 s so CI logs stay short.
 */
export class ProgressLine {
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  constructor(private readonly snapshot: () => ProgressSnapshot, private readonly out: ProgressOutput) {}

  start(): void {
    if (this.timer !== undefined) return;
    const intervalMs = this.out.isTTY === true ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS;
    this.timer = setInterval(() => this.draw(), intervalMs);
    this.timer.unref();
  }

  /** draw shows the current snapshot once. */
  draw(): void {
    const line = formatProgress(this.snapshot());
    if (this.out.isTTY === true) {
      this.out.write(`\r\x1b[K${line}`);
      this.drawn = true;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** stop ends the display, leaving the last line on screen (and the cursor on a new line). */
  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.out.isTTY === true) {
      this.draw();
      if (this.drawn) this.out.write('\n');
    }
  }
}
