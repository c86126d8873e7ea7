/**
 * The Bedrock executor for Anthropic models: one POST per request (SigV4-signed, or with an
 * Amazon Bedrock API key as a bearer token) over the account's shared dispatcher, to
 * `/model/{id}/invoke` (JSON) or `/model/{id}/invoke-with-response-stream` (AWS binary event
 * stream). The send/read/check sequence is shared (providers/shared/call.ts, stream.ts); this
 * file addresses and signs the call and splits the event stream into messages.
 */
import type { Dispatcher } from 'undici';
import type { Credential, CredentialSource } from '../../executors/credentials.ts';
import type { Account, ExecuteOptions, ExecuteRequest, ExecutorContext } from '../../executors/types.ts';
import { ProviderError } from '../../executors/errors.ts';
import { toProviderError } from '../../http/request-errors.ts';
import { AnthropicStreamAccumulator } from '../anthropic/map-stream.ts';
import { callErrorContext, type ApiCall, type CallErrorContext } from '../shared/call.ts';
import { HttpExecutor, type ProviderHandlers } from '../shared/executor.ts';
import { bodyReadError, type AnswerContext } from '../shared/response.ts';
import { noParts, streamReader, type StreamReader } from '../shared/stream.ts';
import { bedrockInvokeUrl, bedrockRequestHeaders, pickBedrockHeaders } from './api.ts';
import { bedrockRequestBody } from './convert-request.ts';
import type { BedrockAccount } from './account.ts';
import { awsChainSource, chainedKeysOf } from './credential-chain.ts';
import { resolveBedrockAuth, type Environment } from './credentials.ts';
import { EventStreamFormatError, EventStreamFrameReader, EventStreamTruncatedError, type EventStreamMessage } from './event-stream.ts';
import { asBedrockError, bedrockMalformedResponseError, mapBedrockHttpError } from './map-error.ts';
import { mapBedrockInvokeResponse } from './map-response.ts';
import { interpretBedrockMessage } from './map-stream.ts';

export interface BedrockExecutorOptions {
  /** Where AWS_BEARER_TOKEN_BEDROCK, AWS_* keys and region come from when an account has none; process.env by default. */
  env?: Environment;
}

const handlers: ProviderHandlers<ApiCall, EventStreamMessage> = {
  pickHeaders: pickBedrockHeaders,
  failed: mapBedrockHttpError,
  successful: mapBedrockInvokeResponse,
  frames: eventStreamMessages,
  reader: bedrockStreamReader,
  readError: (error, call, statusCode) => streamError(error, call.errorContext, statusCode),
};

export class BedrockExecutor extends HttpExecutor<ApiCall, EventStreamMessage> {
  readonly provider = 'bedrock' as const;
  protected readonly handlers = handlers;
  private readonly env: Environment;

  constructor(context: ExecutorContext, options: BedrockExecutorOptions = {}) {
    super(context);
    this.env = options.env ?? process.env;
  }

  /** Errors before the call name no URL: it depends on the region, which may be what failed. */
  protected contextBeforeCall(_request: ExecuteRequest, options: ExecuteOptions, account: Account): CallErrorContext {
    return callErrorContext('bedrock', account, '', options.signal);
  }

  /** A `credentialChain` account's keys come from the AWS SDK's chain (credential-chain.ts). */
  protected override credentialSource(account: Account): CredentialSource | undefined {
    return awsChainSource(account as BedrockAccount);
  }

  /** Chained keys that expired or were replaced answer 403 (ExpiredTokenException, UnrecognizedClientException): fetch them anew. */
  protected override rejectsCredential(error: unknown): boolean {
    return error instanceof ProviderError && error.kind === 'auth';
  }

  protected async prepare(
    executeRequest: ExecuteRequest,
    options: ExecuteOptions,
    anyAccount: Account,
    stream: boolean,
    credential?: Credential,
  ): Promise<ApiCall> {
    // HttpExecutor has refused accounts of other providers before this.
    const account = anyAccount as BedrockAccount;
    const auth = resolveBedrockAuth(account, this.env, credential === undefined ? undefined : chainedKeysOf(credential));
    const url = bedrockInvokeUrl(account, auth.region, executeRequest.model, stream);
    const errorContext = callErrorContext('bedrock', account, url, options.signal);
    const body = JSON.stringify(bedrockRequestBody(executeRequest.body, account));
    try {
      const headers = await bedrockRequestHeaders({ url, body, auth, stream });
      return { account, url, headers, body, signal: options.signal, errorContext };
    } catch (error) {
      throw toProviderError(error, errorContext);
    }
  }
}

/** The AWS event-stream messages of a body; a body cut inside a message throws EventStreamTruncatedError. */
async function* eventStreamMessages(body: Dispatcher.ResponseData['body']): AsyncGenerator<EventStreamMessage, void, undefined> {
  const reader = new EventStreamFrameReader();
  for await (const chunk of body) yield* reader.push(chunk as Uint8Array);
  reader.finish();
}

/** Anthropic stream events inside event-stream messages, up to `message_stop`. */
function bedrockStreamReader(context: AnswerContext): StreamReader<EventStreamMessage> {
  const accumulator = new AnthropicStreamAccumulator(context);
  return streamReader(accumulator, 'message_stop', (message) => {
    const item = interpretBedrockMessage(message, context);
    if (item.type === 'skip') return noParts;
    if (item.type === 'error') return item.error;
    return accumulator.push(item.event);
  });
}

function streamError(error: unknown, errorContext: CallErrorContext, statusCode: number): ProviderError {
  const accountId = errorContext.accountId ?? '';
  if (error instanceof ProviderError) return asBedrockError(error, accountId);
  if (error instanceof EventStreamTruncatedError) {
    return new ProviderError({
      kind: 'network',
      provider: 'bedrock',
      statusCode,
      message: `bedrock account "${accountId}": the event stream from ${new URL(errorContext.url).host} was cut in the middle of a frame`,
      cause: error,
    });
  }
  if (error instanceof EventStreamFormatError) {
    return bedrockMalformedResponseError(error.message, { statusCode, accountId, cause: error });
  }
  return bodyReadError(error, errorContext, statusCode);
}
