/** The scheduler's one prompt type: a prompt to schedule, as the job processor knows it. */
import type { JsonObject, ProviderName } from '../executors/types.ts';

export interface PromptToSchedule {
  jobId: string;
  batchId: string;
  /** BullMQ job priority: 0 (none) first, then 1, 2, ... */
  priority: number;
  provider: ProviderName;
  model: string;
  /** The request body the provider gets (for token estimates). */
  body: JsonObject;
  /** The API path for providers with several (ExecuteRequest.endpoint): embeddings reserve no output. */
  endpoint?: string;
  /** Moves the job to BullMQ's delayed set until `until` (ms), keeping its attempts (parking). */
  delay(until: number): Promise<void>;
}
