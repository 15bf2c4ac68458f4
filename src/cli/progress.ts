/**
 * Training progress for the terminal: one redrawn status line (run, epoch, step, loss, images/s,
 * ETA) when stderr is a TTY, plain log lines otherwise (one per epoch, and every `every` steps).
 */
import type { StepProgress } from '../train/trainer.js';
import { formatDuration } from '../util/duration.js';

export interface ProgressSink {
  /** `fraction`: share of the whole job done; `etaSeconds`: time left for the whole job. */
  step(p: StepProgress & { label: string; fraction: number; etaSeconds: number }): void;
  line(text: string): void;
  done(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, every = 50): ProgressSink {
  const tty = stream.isTTY === true;
  let drawn = false;
  const clear = () => {
    if (drawn) {
      stream.write('\r\x1b[2K');
      drawn = false;
    }
  };
  return {
    step(p) {
      const text = `${p.label} epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.stepsPerEpoch} loss ${p.loss.toFixed(4)} ${Math.round(p.imagesPerSec)} img/s ETA ${formatDuration(p.etaSeconds)}`;
      if (tty) {
        const width = Math.max(10, Math.min(30, (stream.columns ?? 100) - text.length - 4));
        const filled = Math.min(width, Math.round(width * p.fraction));
        clear();
        stream.write(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`.slice(0, (stream.columns ?? 200) - 1));
        drawn = true;
      } else if (p.step % every === 0 || p.step === p.stepsPerEpoch) {
        stream.write(`${text}\n`);
      }
    },
    line(text) {
      clear();
      stream.write(`${text}\n`);
    },
    done() {
      clear();
    },
  };
}
