/**
 * The executor contract (src/executors/types.ts) written once: `execute` is a shared JSON call,
 * `executeStream` a shared streamed call (or the JSON answer as one part, for requests that do
 * not stream), and the availability methods answer from the scheduler's shared account state.
 * A provider's executor says only what differs: how a call is addressed (`prepare`) and how its
 * answers are read (`json`, `stream`).
 */
import type {
  Account,
  ExecuteOptions,
  ExecuteRequest,
  ExecuteResult,
  Executor,
  ExecutorContext,
  ProviderName,
  StreamPart,
} from '../../executors/types.ts';
import { callJsonApi, checkAccountProvider, type ApiCall, type CallErrorContext, type JsonResponseHandlers } from './call.ts';
import { resultAsStream, streamFromApi, type StreamResponseHandlers } from './stream.ts';

/** How a provider's answers are read, JSON and streamed. */
export type ProviderHandlers<Call extends ApiCall, Frame> = JsonResponseHandlers<Call> & StreamResponseHandlers<Call, Frame>;

export abstract class HttpExecutor<Call extends ApiCall, Frame> implements Executor {
  abstract readonly provider: ProviderName;
  /** How the answers of its calls are read. */
  protected abstract readonly handlers: ProviderHandlers<Call, Frame>;

  constructor(protected readonly context: ExecutorContext) {}

  /**
   * URL, headers and body of one call, for an account of this provider (checked before); may
   * sign asynchronously; throws a ProviderError when the account cannot make the call.
   */
  protected abstract prepare(request: ExecuteRequest, options: ExecuteOptions, account: Account, stream: boolean): Call | Promise<Call>;

  /** What names a call in an error raised before it has a URL of its own. */
  protected abstract contextBeforeCall(request: ExecuteRequest, options: ExecuteOptions, account: Account): CallErrorContext;

  /** True for a request that does not stream (embeddings): a stream of it is its JSON answer as one `done` part. */
  protected answersAsJson(_request: ExecuteRequest): boolean {
    return false;
  }

  execute(request: ExecuteRequest, options: ExecuteOptions, account: Account): Promise<ExecuteResult> {
    return callJsonApi(() => this.checkedPrepare(request, options, account, false), this.handlers);
  }

  executeStream(request: ExecuteRequest, options: ExecuteOptions, account: Account): AsyncGenerator<StreamPart, void, undefined> {
    const before = (): CallErrorContext => this.contextBeforeCall(request, options, account);
    if (this.answersAsJson(request)) return resultAsStream(() => this.execute(request, options, account), before);
    return streamFromApi(() => this.checkedPrepare(request, options, account, true), this.handlers, before);
  }

  private checkedPrepare(request: ExecuteRequest, options: ExecuteOptions, account: Account, stream: boolean): Call | Promise<Call> {
    checkAccountProvider(account, this.provider);
    return this.prepare(request, options, account, stream);
  }

  async isAvailable(model?: string): Promise<boolean> {
    return (await this.getAvailableAccountsCount(model)) > 0;
  }

  async getAvailableAccountsCount(model?: string): Promise<number> {
    const { availability } = this.context;
    if (availability === undefined)
      throw new Error(`the ${this.provider} executor was made without an availability reader (ExecutorContext.availability)`);
    return (await availability.read(this.provider, model)).available;
  }
}
