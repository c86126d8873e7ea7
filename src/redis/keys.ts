import calculateSlot from 'cluster-key-slot';

/**
 * Every Redis key relayq writes is named here and nowhere else. Keys are grouped by hash tag,
 * each group what one Lua script may touch together (on Redis Cluster a tag is one slot):
 *
 * - the control tag `{prefix}`: global indexes (batch list, tenants, API keys, files), the
 *   webhook queue and its events, upstream and webhook counters, credentials, the dashboard;
 * - `shards` batch shards: a batch's keys, with the usage and result counters and the webhook
 *   outbox its results and its end write, live in the shard its id hashes to; each shard also
 *   has a prompt queue, and a prompt's job goes to the queue its job id hashes to, so one batch
 *   spreads over every queue;
 * - account groups: an account's state, leases and errors live under the tag of the shard its id
 *   hashes to, so admission and settlement spread over the masters by account (an admission
 *   looks at accounts of one group only: src/scheduler/sampling.ts);
 * - the scheduling tag (pools, parked prompts, the waiting hash, workers' heartbeats).
 *
 * With one shard (the default on a single Redis) every group is `{prefix}`, so every key sits in
 * one slot as before shards existed. With more, shard tags are chosen to spread evenly over the
 * 16,384 slots, so the masters of a cluster made by `redis-cli --cluster create` (equal,
 * contiguous slot ranges) each get their share.
 */
export interface Keys {
  /** The control tag's BullMQ prefix: the webhook queue's keys are `{prefix}:webhook:...`. */
  readonly bullPrefix: string;
  /** How many batch shards (and prompt queues) there are. */
  readonly shards: number;
  /** The BullMQ prefix of each shard's prompt queue. */
  readonly promptQueuePrefixes: readonly string[];
  /** The shard a batch's keys live in. */
  shardOf(batchId: string): number;
  /** The prompt queue (shard) a prompt's job goes to. */
  queueOf(jobId: string): number;
  /** The account group an account's keys live in (one script may touch accounts of one group only). */
  accountGroupOf(accountId: string): number;
  /** Sorted set of batch ids, scored by creation time (ms). */
  batches(): string;
  /** Hash: the batch record and its counters. */
  batch(batchId: string): string;
  /** Hash: custom_id → input line number, for every accepted line of the batch. */
  batchLines(batchId: string): string;
  /** Hash: custom_id → result JSON. */
  batchResults(batchId: string): string;
  /** List: JSON of each rejected input line ({line, custom_id, error}). */
  batchRejects(batchId: string): string;
  /** List: custom_ids in the order their results landed (what `results --follow` tails). */
  batchDone(batchId: string): string;
  /** Set: custom_ids whose result is `errored` (what `relayq retry` re-runs). */
  batchErrored(batchId: string): string;
  /** Hash: custom_id -> job JSON of prompts taken out of the queue while the batch is paused. */
  batchParked(batchId: string): string;
  /** String with a time to live: present while a submit reads input into the batch (its lease, renewed as it reads). */
  batchIngest(batchId: string): string;
  /** Sorted set, temporary: custom_ids scored by input line, for exports in input order. */
  batchOrder(batchId: string): string;
  /** String: a counter that deals new batches out to the shards in turn. */
  batchSequence(): string;
  /** Hash: absolute input file path -> the latest batch made from it (`submit --resume`). */
  batchSources(): string;
  /** Sorted set of the batch ids of one tenant, scored by creation time (ms). */
  tenantBatches(tenant: string): string;
  /** Hash: API key name -> key record JSON (tenant, admin, created_at, revoked, the key's SHA-256). */
  apiKeys(): string;
  /** Hash: SHA-256 of an API key (hex) -> its name. */
  apiKeyHashes(): string;
  /** Hash: uploaded file id → its record (JSON: name, bytes, purpose, tenant, created_at; the bytes are on disk). */
  files(): string;
  /** Hash: batch id → what the OpenAI-compatible `POST /v1/batches` was given (input_file_id, endpoint, completion_window). */
  openAiBatches(): string;
  /** Hash: usage of one UTC day in one shard, `metric|provider|account|batch|model` -> count. `day` is YYYY-MM-DD; readers sum the shards. */
  usageDay(day: string, shard: number): string;
  // All-time counters behind `/metrics` (src/metrics): never expire, hold no batch ids.
  /** Hash: one shard's final results and their usage, `prompts|status|provider|model` and `metric|provider|account|model[|>N]` -> count; readers sum the shards. */
  metricsResults(shard: number): string;
  /** Hash: upstream calls by answer, `provider|account|code` -> count (code: the HTTP status, or `error`). */
  metricsUpstream(): string;
  /** Hash: webhook delivery attempts by result (`delivered`, `retrying`, `failed`, `skipped`) -> count. */
  metricsWebhooks(): string;
  /** Set (control tag): the id of every account some worker registered. */
  accountIds(): string;
  /**
   * Hash: one account's scheduling state, field -> value (src/accounts/state-fields.ts). One hash
   * per account keeps each small, so a field lookup costs the same whatever the account count.
   */
  accountState(accountId: string): string;
  /** Sorted set: the account's concurrency leases, lease id -> expiry (ms); expired ones free their slot. */
  accountLeases(accountId: string): string;
  /** List: the account's latest errors, newest first, as JSON. */
  accountErrors(accountId: string): string;
  /** Hash (control tag): dedicated accounts, `batch:<id>` / `tenant:<name>` -> binding JSON. */
  accountBindings(): string;
  /**
   * String: an account's current refreshed credential, sealed (src/lib/secret-box.ts: encrypted
   * when `secrets.key` is set): JSON `{credential: {secret, expiresAt, issuedAt, refreshToken?}}`,
   * or `{failed, at}` after the issuer refused a refresh. `name` is `<account>:<fingerprint of its
   * configured source>`.
   */
  credential(name: string): string;
  /** String with a time to live: held by the one process refreshing the credential (its random token). */
  credentialLock(name: string): string;
  /** Sorted set: worker processes by their last heartbeat (ms). */
  schedWorkers(): string;
  /** Hash: scheduling pools with parked prompts, pool key -> pool description JSON. */
  schedPools(): string;
  /** Hash: a pool's fair-queueing clock (`vt`) and each batch's last tag (`b:<batch>`). */
  schedPool(poolKey: string): string;
  /** Sorted set: prompts of a pool parked until capacity returns, `<batch>|<job id>` -> order. */
  schedParked(poolKey: string): string;
  /** Hash: parked prompts, `<batch>|<pool key>` -> count (why a batch waits). */
  schedWaiting(): string;
  /** String, short-lived: the answer of one call taking parked prompts, kept for a resent call (see unparkJobs-5.lua). */
  schedUnparkAnswer(token: string): string;
  // Webhook state lives under `hooks:`, apart from BullMQ's own keys of the "webhook" queue.
  /** Sorted set: one shard's batch ends whose event is not in the webhook queue yet, `<batch>|<event id>` -> ms (see finalizeBatch-8.lua). */
  webhookOutbox(shard: number): string;
  /** Sorted set: webhook event ids by creation time (ms). */
  webhookEvents(): string;
  /** Hash: one webhook event: batch, type, tenant, created_at, payload (the JSON body sent). */
  webhookEvent(eventId: string): string;
  /** Hash: the event's deliveries, target id -> delivery state JSON. */
  webhookDeliveries(eventId: string): string;
  /** List: every delivery attempt of the event, oldest first, as JSON. */
  webhookAttempts(eventId: string): string;
  /** List: the webhook event ids of a batch, oldest first. */
  webhookBatchEvents(batchId: string): string;
  /** Hash: registered webhook endpoints, endpoint id -> JSON. */
  webhookEndpoints(): string;
  /** Hash: signing secrets by tenant (`*` for batches without one) -> JSON of sealed secrets. */
  webhookSecrets(): string;
  // The dashboard's own state lives under `dash:`.
  /** Hash, expiring: one dashboard session (key name, key hash, CSRF token), by the sha256 of its cookie. */
  dashboardSession(idHash: string): string;
  /** Sorted set: the overview's samples of the last hour, ms -> JSON (the sparklines). */
  dashboardSamples(): string;
  /** String, short-lived: held by the server taking the next overview sample. */
  dashboardSampler(): string;
}

/** String: the prefix's shard count, fixed by the first process that used the prefix (src/redis/shards.ts). */
export function shardCountKey(prefix: string): string {
  return `{${prefix}}:shards`;
}

/** Every shard's number, 0 to shards - 1 (for readers that sum per-shard counters). */
export function allShards(keys: Keys): number[] {
  return Array.from({ length: keys.shards }, (_, shard) => shard);
}

/** Redis Cluster's hash slots. */
const slotCount = 16_384;

/**
 * The tag of each of `shards` batch shards: `{prefix}` for a single shard; otherwise
 * `{prefix:s<k>-<n>}`, the first `n` whose slot falls in the middle half of the k-th of `shards`
 * equal slot ranges (a few tries each; every process computes the same tags).
 */
export function shardTags(prefix: string, shards: number): string[] {
  if (shards === 1) return [`{${prefix}}`];
  const width = slotCount / shards;
  return Array.from({ length: shards }, (_, k) => {
    const low = k * width + width / 4;
    for (let n = 0; ; n += 1) {
      const tag = `{${prefix}:s${k}-${n}}`;
      const slot = calculateSlot(tag);
      if (slot >= low && slot < low + width / 2) return tag;
    }
  });
}

/** Which of `count` buckets a string hashes to (CRC16, the hash Redis Cluster uses for slots). */
function bucketOf(value: string, count: number): number {
  return count === 1 ? 0 : calculateSlot(value.replaceAll('{', '(')) % count;
}

export function createKeys(prefix: string, shards = 1): Keys {
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`the shard count must be a positive integer, not ${shards}`);
  const tag = `{${prefix}}`;
  const shardTag = shardTags(prefix, shards);
  const accountTag = (id: string) => shardTag[bucketOf(`account:${id}`, shards)] as string;
  const schedTag = shards === 1 ? tag : `{${prefix}:sched}`;
  const batchTag = (id: string) => shardTag[bucketOf(id, shards)] as string;
  const inShard = (shard: number) => {
    const found = shardTag[shard];
    if (found === undefined) throw new Error(`no shard ${shard} of ${shards}`);
    return found;
  };
  return {
    bullPrefix: tag,
    shards,
    promptQueuePrefixes: shardTag,
    shardOf: (id) => bucketOf(id, shards),
    queueOf: (jobId) => bucketOf(jobId, shards),
    accountGroupOf: (id) => bucketOf(`account:${id}`, shards),
    batches: () => `${tag}:batches`,
    batch: (id) => `${batchTag(id)}:batch:${id}`,
    batchLines: (id) => `${batchTag(id)}:batch:${id}:lines`,
    batchResults: (id) => `${batchTag(id)}:batch:${id}:results`,
    batchRejects: (id) => `${batchTag(id)}:batch:${id}:rejects`,
    batchDone: (id) => `${batchTag(id)}:batch:${id}:done`,
    batchErrored: (id) => `${batchTag(id)}:batch:${id}:errored`,
    batchParked: (id) => `${batchTag(id)}:batch:${id}:parked`,
    batchIngest: (id) => `${batchTag(id)}:batch:${id}:ingest`,
    batchOrder: (id) => `${batchTag(id)}:batch:${id}:order`,
    batchSequence: () => `${tag}:batch-seq`,
    batchSources: () => `${tag}:batch-sources`,
    tenantBatches: (tenant) => `${tag}:tenant:${tenant}:batches`,
    apiKeys: () => `${tag}:api-keys`,
    apiKeyHashes: () => `${tag}:api-key-hashes`,
    files: () => `${tag}:files`,
    openAiBatches: () => `${tag}:openai-batches`,
    usageDay: (day, shard) => `${inShard(shard)}:usage:${day}`,
    metricsResults: (shard) => `${inShard(shard)}:metrics:results`,
    metricsUpstream: () => `${tag}:metrics:upstream`,
    metricsWebhooks: () => `${tag}:metrics:webhooks`,
    accountIds: () => `${tag}:accounts:ids`,
    accountState: (id) => `${accountTag(id)}:account:${id}:state`,
    accountLeases: (id) => `${accountTag(id)}:account:${id}:leases`,
    accountErrors: (id) => `${accountTag(id)}:account:${id}:errors`,
    accountBindings: () => `${tag}:accounts:bindings`,
    credential: (name) => `${tag}:credential:${name}`,
    credentialLock: (name) => `${tag}:credential:${name}:lock`,
    schedWorkers: () => `${schedTag}:sched:workers`,
    schedPools: () => `${schedTag}:sched:pools`,
    schedPool: (pool) => `${schedTag}:sched:pool:${pool}`,
    schedParked: (pool) => `${schedTag}:sched:pool:${pool}:parked`,
    schedWaiting: () => `${schedTag}:sched:waiting`,
    schedUnparkAnswer: (token) => `${schedTag}:sched:unpark:${token}`,
    webhookOutbox: (shard) => `${inShard(shard)}:hooks:outbox`,
    webhookEvents: () => `${tag}:hooks:events`,
    webhookEvent: (id) => `${tag}:hooks:event:${id}`,
    webhookDeliveries: (id) => `${tag}:hooks:event:${id}:deliveries`,
    webhookAttempts: (id) => `${tag}:hooks:event:${id}:attempts`,
    webhookBatchEvents: (id) => `${tag}:hooks:batch:${id}`,
    webhookEndpoints: () => `${tag}:hooks:endpoints`,
    webhookSecrets: () => `${tag}:hooks:secrets`,
    dashboardSession: (idHash) => `${tag}:dash:session:${idHash}`,
    dashboardSamples: () => `${tag}:dash:samples`,
    dashboardSampler: () => `${tag}:dash:sampler`,
  };
}
