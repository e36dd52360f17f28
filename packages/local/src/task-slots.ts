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

/**
 * The Lambda's own timeout, ended the way it is on AWS: middy stops a hung handler just before
 * Lambda would and reports `TimeoutError` (Lambda itself would say `Sandbox.Timedout`).
 */
export class LambdaTimeout extends Error {
  override readonly name = "TimeoutError";
}

/** The first of the Lambda's timeout and the Task's wins, with the error name AWS would report. */
export function withTimeout<T>(
  work: Promise<T>,
  limits: { taskSeconds: number; lambdaSeconds: number },
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const lambdaFirst = limits.lambdaSeconds < limits.taskSeconds;
  const seconds = Math.min(limits.taskSeconds, limits.lambdaSeconds);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          lambdaFirst
            ? new LambdaTimeout(`[AbortError]: the Lambda timed out after ${seconds} s`)
            : new StatesTimeout(`Task timed out after ${seconds} s`),
        ),
      seconds * 1000,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
