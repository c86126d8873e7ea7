/**
 * The prompt queues: one BullMQ queue per batch shard (src/redis/keys.ts), each under its shard's
 * hash tag, so on a Redis Cluster the queue work spreads over the masters. A prompt's job goes to
 * the queue its job id hashes to, so every batch, even a single one, uses them all. This is the
 * one place that knows which queue holds a job; callers use it like one queue.
 */
import { type Job, type JobsOptions, type JobType, Queue, type QueueOptions } from 'bullmq';
import type { Keys } from '../redis/keys.ts';
import { promptQueueName } from './prompt-job.ts';

/** A job to add: like BullMQ's addBulk entries, but the job id is required (it picks the queue). */
export interface PromptBulkJob<Data = unknown> {
  name: string;
  data: Data;
  opts: JobsOptions & { jobId: string };
}

export class PromptQueues {
  readonly name = promptQueueName;
  /** One queue per shard, in shard order. */
  readonly all: readonly Queue[];

  constructor(
    private readonly keys: Keys,
    readonly connection: QueueOptions['connection'],
  ) {
    this.all = keys.promptQueuePrefixes.map((prefix) => new Queue(promptQueueName, { connection, prefix }));
  }

  /** The queue that holds (or will hold) the job with this id. */
  forJob(jobId: string): Queue {
    return this.all[this.keys.queueOf(jobId)] as Queue;
  }

  /** Adds jobs, each to its own queue (one addBulk per queue). */
  async addBulk(jobs: readonly PromptBulkJob[]): Promise<void> {
    const byQueue = new Map<Queue, PromptBulkJob[]>();
    for (const job of jobs) {
      const queue = this.forJob(job.opts.jobId);
      const list = byQueue.get(queue);
      if (list) list.push(job);
      else byQueue.set(queue, [job]);
    }
    await Promise.all([...byQueue].map(([queue, list]) => queue.addBulk(list)));
  }

  getJob(jobId: string): Promise<Job | undefined> {
    return this.forJob(jobId).getJob(jobId);
  }

  /** Removes a job unless it is locked by a worker: 1 when removed, 0 when not. */
  remove(jobId: string): Promise<number> {
    return this.forJob(jobId).remove(jobId);
  }

  /** Job counts by state, summed over the queues. */
  async getJobCounts(...types: JobType[]): Promise<Record<string, number>> {
    const counts = await Promise.all(this.all.map((queue) => queue.getJobCounts(...types)));
    const sums: Record<string, number> = {};
    for (const count of counts) for (const [type, value] of Object.entries(count)) sums[type] = (sums[type] ?? 0) + value;
    return sums;
  }

  /** How many jobs are in the given states, over the queues. */
  async getJobCountByTypes(...types: JobType[]): Promise<number> {
    const counts = await Promise.all(this.all.map((queue) => queue.getJobCountByTypes(...types)));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  getWaitingCount(): Promise<number> {
    return this.getJobCountByTypes('waiting');
  }

  getActiveCount(): Promise<number> {
    return this.getJobCountByTypes('active');
  }

  getFailedCount(): Promise<number> {
    return this.getJobCountByTypes('failed');
  }

  /** Deletes every queue with all its jobs. */
  async obliterate(options?: { force?: boolean }): Promise<void> {
    await Promise.all(this.all.map((queue) => queue.obliterate(options)));
  }

  onError(listener: (error: Error) => void): void {
    for (const queue of this.all) queue.on('error', listener);
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((queue) => queue.close()));
  }
}
