/**
 * What provider handlers share: the config, the key registry with its buckets, fault injection,
 * stats, ids and a sleep that ends when the simulator closes.
 */
import { randomBytes } from 'node:crypto';
import { KeyRegistry } from './buckets.ts';
import { modelMatcher, type SimulatorConfig } from './config.ts';
import type { Exchange } from './exchange.ts';
import { FaultInjector } from './faults.ts';
import { StatsRecorder } from './stats.ts';
import { TokenIssuer } from './tokens.ts';

export type ExchangeHandler = (exchange: Exchange, runtime: SimulatorRuntime) => void | Promise<void>;

/** One provider's API (Anthropic, OpenAI, ...): the paths it serves and its error shapes. */
export interface SimulatedProvider {
  readonly name: string;
  /** The handler for a request path (no query string), or undefined when not this provider's. */
  route(path: string): ExchangeHandler | undefined;
  /** Answers a path no provider serves (used for the default provider only). */
  notFound: ExchangeHandler;
  /** Answers 500 in this provider's error shape after a bug in a handler. */
  internalError(exchange: Exchange, message: string): void;
}

export interface SimulatorRuntime {
  readonly config: SimulatorConfig;
  readonly keys: KeyRegistry;
  readonly faults: FaultInjector;
  readonly stats: StatsRecorder;
  /** What the token endpoints issued (kept across `reset`). */
  readonly tokens: TokenIssuer;
  modelAllowed(model: string): boolean;
  /** Resolves after `ms`, or at once when the simulator closes (check `exchange.gone` after). */
  sleep(ms: number): Promise<void>;
  /** A unique id: `${prefix}_01` + random process part + counter ("req", "msg", ...). */
  newId(prefix: string): string;
  /** Resolves every pending sleep (on close). */
  wakeAll(): void;
  /** Fresh stats, full buckets, the fault sequence from its seed. */
  reset(): void;
}

export function createRuntime(config: SimulatorConfig): SimulatorRuntime {
  const keys = new KeyRegistry(config.keys, config.acceptAnyKey, config.defaultLimits, config.burstSeconds);
  const faults = new FaultInjector(config.faults);
  const stats = new StatsRecorder();
  const tokens = new TokenIssuer(config.tokens.lifetimeSeconds, config.tokens.oauthRefreshTokens);
  const modelAllowed = modelMatcher(config.models);
  const sleepers = new Map<NodeJS.Timeout, () => void>();
  const idPart = randomIdPart();
  let idCounter = 0;

  return {
    config,
    keys,
    faults,
    stats,
    tokens,
    modelAllowed,
    sleep(ms) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          sleepers.delete(timer);
          resolve();
        }, ms);
        sleepers.set(timer, resolve);
      });
    },
    newId(prefix) {
      idCounter += 1;
      return `${prefix}_01${idPart}${idCounter.toString(36).padStart(8, '0')}`;
    },
    wakeAll() {
      for (const [timer, resolve] of sleepers) {
        clearTimeout(timer);
        resolve();
      }
      sleepers.clear();
    },
    reset() {
      stats.reset();
      keys.reset();
      faults.reset();
    },
  };
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomIdPart(): string {
  let part = '';
  for (const byte of randomBytes(12)) part += alphabet[byte % alphabet.length];
  return part;
}
