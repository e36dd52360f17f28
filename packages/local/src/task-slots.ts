/**
 * How many task Lambdas run at once, like a Lambda concurrency limit. Without it a burst of
 * leads at LEAD_WAIT_SECONDS=0 lets the pipeline's work crowd out the webhook on the one event loop.
 */
export class TaskSlots {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(readonly size: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

/** Step Functions' own Task timeout, measured from when the Lambda starts (not while it queues for a slot). */
export class StatesTimeout extends Error {
  override readonly name = "States.Timeout";
}

export function withTimeout<T>(work: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StatesTimeout(`Task timed out after ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
