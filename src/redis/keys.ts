/**
 * Every Redis key relayq writes is named here and nowhere else. All keys share one hash tag
 * (`{prefix}`) so Lua scripts that touch several of them run on Redis Cluster too.
 */
export interface Keys {
  /** The BullMQ prefix: BullMQ builds its own `{prefix}:<queue>:...` keys from it. */
  readonly bullPrefix: string;
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
  /** Hash: usage of one UTC day, `metric|provider|account|batch|model` -> count. `day` is YYYY-MM-DD. */
  usageDay(day: string): string;
  // All-time counters behind `/metrics` (src/metrics): never expire, hold no batch ids.
  /** Hash: final results and their usage, `prompts|status|provider|model` and `metric|provider|account|model[|>N]` -> count. */
  metricsResults(): string;
  /** Hash: upstream calls by answer, `provider|account|code` -> count (code: the HTTP status, or `error`). */
  metricsUpstream(): string;
  /** Hash: webhook delivery attempts by result (`delivered`, `retrying`, `failed`, `skipped`) -> count. */
  metricsWebhooks(): string;
  /** Set: the id of every account some worker registered. */
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
  /** Hash: dedicated accounts, `batch:<id>` / `tenant:<name>` -> binding JSON. */
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
  /** Sorted set: batch ends whose event is not in the webhook queue yet, `<batch>|<event id>` -> ms (see finalizeBatch-8.lua). */
  webhookOutbox(): string;
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

export function createKeys(prefix: string): Keys {
  const tag = `{${prefix}}`;
  return {
    bullPrefix: tag,
    batches: () => `${tag}:batches`,
    batch: (id) => `${tag}:batch:${id}`,
    batchLines: (id) => `${tag}:batch:${id}:lines`,
    batchResults: (id) => `${tag}:batch:${id}:results`,
    batchRejects: (id) => `${tag}:batch:${id}:rejects`,
    batchDone: (id) => `${tag}:batch:${id}:done`,
    batchErrored: (id) => `${tag}:batch:${id}:errored`,
    batchParked: (id) => `${tag}:batch:${id}:parked`,
    batchIngest: (id) => `${tag}:batch:${id}:ingest`,
    batchOrder: (id) => `${tag}:batch:${id}:order`,
    batchSources: () => `${tag}:batch-sources`,
    tenantBatches: (tenant) => `${tag}:tenant:${tenant}:batches`,
    apiKeys: () => `${tag}:api-keys`,
    apiKeyHashes: () => `${tag}:api-key-hashes`,
    files: () => `${tag}:files`,
    openAiBatches: () => `${tag}:openai-batches`,
    usageDay: (day) => `${tag}:usage:${day}`,
    metricsResults: () => `${tag}:metrics:results`,
    metricsUpstream: () => `${tag}:metrics:upstream`,
    metricsWebhooks: () => `${tag}:metrics:webhooks`,
    accountIds: () => `${tag}:accounts:ids`,
    accountState: (id) => `${tag}:account:${id}:state`,
    accountLeases: (id) => `${tag}:account:${id}:leases`,
    accountErrors: (id) => `${tag}:account:${id}:errors`,
    accountBindings: () => `${tag}:accounts:bindings`,
    credential: (name) => `${tag}:credential:${name}`,
    credentialLock: (name) => `${tag}:credential:${name}:lock`,
    schedWorkers: () => `${tag}:sched:workers`,
    schedPools: () => `${tag}:sched:pools`,
    schedPool: (pool) => `${tag}:sched:pool:${pool}`,
    schedParked: (pool) => `${tag}:sched:pool:${pool}:parked`,
    schedWaiting: () => `${tag}:sched:waiting`,
    schedUnparkAnswer: (token) => `${tag}:sched:unpark:${token}`,
    webhookOutbox: () => `${tag}:hooks:outbox`,
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
