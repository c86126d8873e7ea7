/**
 * The one path a request takes through the simulator, whatever the provider: POST only, the
 * caller's key, the body read and checked, the prompt's directives; then faults → the key's
 * buckets → latency → dropped connections → the answer (JSON, a stream or embeddings), with the
 * stats told at each step. A provider brings a `WireFormat`: hooks for what differs on its wire
 * (where the key is, what its bodies and errors look like, how it frames a stream).
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { composeAnswer, simulatedAnswer, type ComposedAnswer } from './answer.ts';
import type { Admission, BucketSnapshot, KeyLimiter } from './buckets.ts';
import { DirectiveError, parseDirectives, type Directives } from './directives.ts';
import type { Exchange } from './exchange.ts';
import { isErrorFault, type ErrorFaultKind } from './faults.ts';
import type { ExchangeHandler, SimulatorRuntime } from './runtime.ts';
import type { StreamEnding } from './stream.ts';

/** A checked request body, reduced to what the pipeline needs (providers add their own fields). */
export interface SimulatedRequest {
  /** The model as answers name it. */
  model: string;
  /** The text the answer (and the directives) come from. */
  promptText: string;
  inputTokens: number;
  /** Reserved at admission and the most the answer may have; 0 for embeddings. */
  maxOutputTokens: number;
  stopSequences: readonly string[] | undefined;
  stream: boolean;
  /** An embeddings request: answered by `sendEmbedding` instead of a generated text. */
  embedding: boolean;
}

/** Why a body was refused (a 400): the message, and for OpenAI the parameter and code. */
export class InvalidBody {
  constructor(
    readonly message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {}
}

export type RateLimitRefusal = Extract<Admission, { ok: false }>;

/** What the pipeline asks a provider to answer with an error, in the provider's own shape. */
export type Refusal<Request> =
  | { kind: 'method-not-allowed' }
  | { kind: 'body-too-large' }
  | { kind: 'malformed-json'; detail: string }
  | { kind: 'invalid-body'; problem: InvalidBody }
  | { kind: 'model-not-served'; request: Request }
  | { kind: 'bad-directive'; message: string }
  /**
   * An injected error fault; `headers` hold the key's rate-limit headers (if the provider sends
   * them), `retryAfterSeconds` the wait an injected rate_limit asks for (from the config).
   */
  | { kind: 'fault'; fault: ErrorFaultKind; request: Request; headers: OutgoingHttpHeaders; retryAfterSeconds: number }
  /** The key's buckets have no room (`retryAfterSeconds`: the wait in whole seconds, at least 1); `headers` as for a fault. */
  | {
      kind: 'rate-limited';
      admission: RateLimitRefusal;
      retryAfterSeconds: number;
      request: Request;
      headers: OutgoingHttpHeaders;
    }
  /** The `stream-error` fault met a request that is not streamed: the provider's overload error. */
  | { kind: 'stream-error' };

/** An admitted request about to be answered; `headers` hold the key's rate-limit headers, if any. */
export interface Reply<Target, Request> {
  exchange: Exchange;
  runtime: SimulatorRuntime;
  target: Target;
  request: Request;
  headers: OutgoingHttpHeaders;
}

export interface AnswerReply<Target, Request> extends Reply<Target, Request> {
  answer: ComposedAnswer;
}

/**
 * What a provider's wire format adds to the pipeline. `Target` is what the route made of the
 * path (endpoint, model in the URL, ...); `Request` is the checked body.
 */
export interface WireFormat<Target, Request extends SimulatedRequest> {
  /**
   * Everything checked before the body, the method aside: the URL, the headers and the key, in
   * the provider's order. Sets `exchange.key` once the key is accepted (from then on the stats
   * count the request under it) and returns the key's limiter; undefined once an error went out.
   */
  admitCaller(exchange: Exchange, runtime: SimulatorRuntime, target: Target): KeyLimiter | undefined | Promise<KeyLimiter | undefined>;
  /** The parsed JSON body checked, or why it is refused. */
  readBody(body: unknown, target: Target): Request | InvalidBody;
  /** Whether the simulator serves the request's model; `runtime.modelAllowed(request.model)` when left out. */
  serves?(runtime: SimulatorRuntime, request: Request, target: Target): boolean;
  /** Sends the provider's error answer for a refusal. */
  refuse(exchange: Exchange, refusal: Refusal<Request>, target: Target): void;
  /** Adds the provider's rate-limit headers for a limited key (left out: it sends none). */
  addRateLimitHeaders?(headers: OutgoingHttpHeaders, snapshots: readonly BucketSnapshot[], now: number, target: Target): void;
  /** Sends the generated answer as JSON (the exchange's output tokens are set). */
  sendAnswer(reply: AnswerReply<Target, Request>): void;
  /** Streams the generated answer, ending it as `ending` says. */
  streamAnswer(reply: AnswerReply<Target, Request>, ending: StreamEnding): Promise<void>;
  /** Sends the answer to an embeddings request (needed when `readBody` makes any). */
  sendEmbedding?(reply: Reply<Target, Request>): void;
}

/** A request past every check before the faults: its key's limiter, its body, its directives. */
export interface AcceptedRequest<Request> {
  limiter: KeyLimiter;
  request: Request;
  directives: Directives;
}

/** The handler that runs the whole pipeline for one target. */
export function pipelineHandler<Target, Request extends SimulatedRequest>(
  wire: WireFormat<Target, Request>,
  target: Target,
): ExchangeHandler {
  return (exchange, runtime) => serve(wire, target, exchange, runtime);
}

/**
 * The checks before the faults: POST, the caller, the body (size, JSON, the provider's rules),
 * the model, the directives. Undefined once an error answer went out.
 */
export async function acceptRequest<Target, Request extends SimulatedRequest>(
  wire: WireFormat<Target, Request>,
  target: Target,
  exchange: Exchange,
  runtime: SimulatorRuntime,
): Promise<AcceptedRequest<Request> | undefined> {
  const refuse = (refusal: Refusal<Request>): undefined => {
    wire.refuse(exchange, refusal, target);
    return undefined;
  };
  if (exchange.req.method !== 'POST') return refuse({ kind: 'method-not-allowed' });
  const limiter = await wire.admitCaller(exchange, runtime, target);
  if (limiter === undefined) return undefined;
  if (exchange.bodyTooLarge) return refuse({ kind: 'body-too-large' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(exchange.body.toString('utf8'));
  } catch (error) {
    return refuse({ kind: 'malformed-json', detail: (error as Error).message });
  }
  const request = wire.readBody(parsed, target);
  if (request instanceof InvalidBody) return refuse({ kind: 'invalid-body', problem: request });
  const served = wire.serves === undefined ? runtime.modelAllowed(request.model) : wire.serves(runtime, request, target);
  if (!served) return refuse({ kind: 'model-not-served', request });
  let directives: Directives;
  try {
    directives = parseDirectives(request.promptText);
  } catch (error) {
    if (!(error instanceof DirectiveError)) throw error;
    return refuse({ kind: 'bad-directive', message: error.message });
  }
  return { limiter, request, directives };
}

async function serve<Target, Request extends SimulatedRequest>(
  wire: WireFormat<Target, Request>,
  target: Target,
  exchange: Exchange,
  runtime: SimulatorRuntime,
): Promise<void> {
  const accepted = await acceptRequest(wire, target, exchange, runtime);
  if (accepted === undefined) return;
  const { limiter, request } = accepted;
  const rateLimitHeaders = (): OutgoingHttpHeaders => {
    const headers: OutgoingHttpHeaders = {};
    if (wire.addRateLimitHeaders !== undefined && limiter.limited) {
      const now = Date.now();
      wire.addRateLimitHeaders(headers, limiter.snapshot(now), now, target);
    }
    return headers;
  };

  // Error faults answer before admission: nothing is consumed, as with the real APIs.
  const fault = runtime.faults.pick(accepted.directives.fault);
  if (fault !== undefined && isErrorFault(fault)) {
    runtime.stats.faultInjected(fault);
    const retryAfterSeconds = runtime.faults.rateLimitRetryAfterSeconds;
    wire.refuse(exchange, { kind: 'fault', fault, request, headers: rateLimitHeaders(), retryAfterSeconds }, target);
    return;
  }

  const { inputTokens, maxOutputTokens } = request;
  const admission = limiter.admit(inputTokens, maxOutputTokens, Date.now());
  if (!admission.ok) {
    const retryAfterSeconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
    wire.refuse(exchange, { kind: 'rate-limited', admission, retryAfterSeconds, request, headers: rateLimitHeaders() }, target);
    return;
  }
  exchange.inputTokens = inputTokens;
  exchange.release = () => limiter.complete(maxOutputTokens, exchange.outputTokens, Date.now());
  // Counted once admitted: a fault that met a 429 first never happened.
  if (fault !== undefined) runtime.stats.faultInjected(fault);

  const delay = runtime.config.latencyMs + (fault === 'slow' ? runtime.faults.slowMs : 0);
  if (delay > 0) {
    await runtime.sleep(delay);
    if (exchange.gone) return;
  }
  if (fault === 'drop' || (fault === 'cut-stream' && !request.stream)) {
    exchange.drop('dropped');
    return;
  }
  if (fault === 'stream-error' && !request.stream) {
    wire.refuse(exchange, { kind: 'stream-error' }, target);
    return;
  }

  const reply: Reply<Target, Request> = { exchange, runtime, target, request, headers: rateLimitHeaders() };
  if (request.embedding) {
    if (wire.sendEmbedding === undefined) throw new Error('an embeddings request on a wire format without embeddings');
    wire.sendEmbedding(reply);
    return;
  }
  const answer = composeAnswer(simulatedAnswer(request.promptText), maxOutputTokens, request.stopSequences);
  if (request.stream) {
    const ending: StreamEnding = fault === 'cut-stream' ? 'cut' : fault === 'stream-error' ? 'error' : 'complete';
    await wire.streamAnswer({ ...reply, answer }, ending);
    return;
  }
  exchange.outputTokens = answer.outputTokens;
  wire.sendAnswer({ ...reply, answer });
}
