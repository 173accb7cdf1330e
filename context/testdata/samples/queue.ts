// A promise-based job queue, used as test input for codectx.
import { EventEmitter } from "events";

export type Job<T> = () => Promise<T>;

export interface QueueOptions {
  concurrency: number;
  timeoutMs?: number;
}

const DEFAULTS: QueueOptions = { concurrency: 2 };

export class Queue<T> extends EventEmitter {
  private running = 0;
  private readonly pending: Array<[Job<T>, (v: T) => void, (e: unknown) => void]> = [];

  constructor(private readonly opts: QueueOptions = DEFAULTS) {
    super();
  }

  push(job: Job<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push([job, resolve, reject]);
      this.next();
    });
  }

  private next(): void {
    if (this.running >= this.opts.concurrency) {
      return;
    }
    const item = this.pending.shift();
    if (!item) {
      this.emit("idle");
      return;
    }
    const [job, resolve, reject] = item;
    this.running++;
    job()
      .then(resolve, reject)
      .finally(() => {
        this.running--;
        this.next();
      });
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
