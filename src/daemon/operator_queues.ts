/**
 * Work of many operators on a few workers: one queue per operator, served
 * round-robin. A worker takes the next operator whose request budget has a
 * slot free now, so no worker ever waits on one operator's budget while
 * another operator's job could go; only when no operator has a free slot
 * does an idle worker wait, on the slot of the operator that frees first.
 *
 * @module
 */
import type { Clock } from "./clock.ts";

/** Options for {@linkcode serveQueues}. */
export interface QueueOptions<T> {
  /** Jobs per operator, each queue in the order its jobs should go. */
  queues: ReadonlyMap<string, readonly T[]>;
  /** Jobs in flight at most. */
  workers: number;
  /**
   * Take the operator's next request slot for `job` if it is free now:
   * resolve to 0 when taken, else to the milliseconds until it may be.
   */
  tryTake: (operator: string, job: T) => Promise<number>;
  /**
   * Reserve the operator's next request slot for `job` and wait for it
   * (rejects if `signal` aborts): what an idle worker does with the operator
   * whose slot frees first, so that it keeps its turn whatever the clock.
   */
  take: (operator: string, job: T, signal?: AbortSignal) => Promise<void>;
  /** Run a job whose first request's slot is taken (must not reject). */
  run: (job: T) => Promise<void>;
  /** Clock of the waits. */
  clock: Clock;
  /** Once aborted, no job starts: the ones left go to `drop`. */
  stop?: AbortSignal;
  /** Told of every job left when `stop` aborted. */
  drop?: (job: T) => Promise<void>;
}

/** Shared state of one {@linkcode serveQueues} call. */
class Queues<T> {
  readonly order: string[];
  readonly jobs = new Map<string, T[]>();
  /** Operators a worker is asking the budget for (one asker per operator). */
  readonly asking = new Set<string>();
  /** Per operator: not worth asking before (ms since epoch). */
  readonly notBefore = new Map<string, number>();
  turn = 0;
  #changed: PromiseWithResolvers<void> = Promise.withResolvers();

  constructor(queues: ReadonlyMap<string, readonly T[]>) {
    for (const [op, list] of queues) if (list.length) this.jobs.set(op, [...list]);
    this.order = [...this.jobs.keys()];
  }

  /** Jobs not yet started. */
  left(): number {
    let n = 0;
    for (const list of this.jobs.values()) n += list.length;
    return n;
  }

  /** The next operator, round-robin from the last one served, that may be asked now. */
  next(now: number): string | undefined {
    for (let k = 0; k < this.order.length; k++) {
      const op = this.order[(this.turn + k) % this.order.length];
      if (this.#askable(op) && (this.notBefore.get(op) ?? 0) <= now) return op;
    }
    return undefined;
  }

  /** The askable operator that frees first, if any. */
  earliest(): string | undefined {
    let first: string | undefined;
    for (const op of this.order) {
      if (!this.#askable(op)) continue;
      if (first === undefined || this.#free(op) < this.#free(first)) first = op;
    }
    return first;
  }

  #free(op: string): number {
    return this.notBefore.get(op) ?? 0;
  }

  #askable(op: string): boolean {
    return (this.jobs.get(op)?.length ?? 0) > 0 && !this.asking.has(op);
  }

  /** Resolves at the next change another worker makes. */
  changed(): Promise<void> {
    return this.#changed.promise;
  }

  /** Wake the workers waiting for a change. */
  touch(): void {
    this.#changed.resolve();
    this.#changed = Promise.withResolvers();
  }
}

/**
 * Serve `o.queues` with `o.workers` workers (see the module doc); resolves
 * when every job has run or, after `o.stop`, been dropped.
 */
export async function serveQueues<T>(o: QueueOptions<T>): Promise<void> {
  const q = new Queues(o.queues);
  const total = q.left();
  const workers = Math.max(1, Math.min(o.workers, total));
  await Promise.all(Array.from({ length: workers }, () => work(q, o)));
  for (const list of q.jobs.values()) {
    for (const job of list.splice(0)) await o.drop?.(job);
  }
}

/** One worker: ask, run, repeat; wait only when no operator may be asked. */
async function work<T>(q: Queues<T>, o: QueueOptions<T>): Promise<void> {
  while (!o.stop?.aborted && q.left() > 0) {
    const now = o.clock.now().getTime();
    const op = q.next(now) ?? q.earliest();
    if (op === undefined) {
      // Every operator with jobs is being asked by another worker: its answer is the change.
      await q.changed();
      continue;
    }
    q.turn = q.order.indexOf(op) + 1;
    q.asking.add(op);
    const list = q.jobs.get(op)!;
    const taken = await ask(q, o, op, list[0], now);
    // Stopped while asking: the job stays in its queue and is dropped.
    const job = taken && !o.stop?.aborted ? list.shift() : undefined;
    q.asking.delete(op);
    q.touch();
    if (job !== undefined) await o.run(job);
  }
}

/**
 * Ask `op`'s budget for `job`'s slot: take it if free now; wait for it when
 * `op` is the earliest to free (nobody could go sooner).
 * Whether it was taken: not when busy (the operator's free time is noted) or
 * stopped.
 */
async function ask<T>(
  q: Queues<T>,
  o: QueueOptions<T>,
  op: string,
  job: T,
  now: number,
): Promise<boolean> {
  if ((q.notBefore.get(op) ?? 0) > now) {
    const ok = await o.take(op, job, o.stop).then(() => true, () => false);
    if (ok) q.notBefore.delete(op);
    return ok;
  }
  const wait = await o.tryTake(op, job).catch(() => 1000);
  if (wait > 0) q.notBefore.set(op, now + wait);
  return wait <= 0;
}
