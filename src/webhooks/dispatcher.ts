/**
 * The undici dispatcher webhook deliveries go through. Its connector resolves the host itself,
 * checks the address (address-guard.ts) and connects to exactly that address, so a name that
 * resolves to a public address when checked and a private one when connected (DNS rebinding)
 * cannot slip through. Redirects are never followed (undici's request follows none).
 */
import { Agent, buildConnector } from 'undici';
import { allowedAddress, systemResolver, type AddressPolicy, type Resolver } from './address-guard.ts';

export type SocketOpener = buildConnector.connector;

export interface WebhookDispatcherOptions {
  policy: AddressPolicy;
  /** Delivery timeout: connect, response headers and body each (default 15 s). */
  timeoutMs: number;
  /** Resolves host names (tests stub it). */
  resolver?: Resolver;
  /** Opens the socket to the checked address (tests replace it to prove nothing was opened). */
  openSocket?: SocketOpener;
}

export function createWebhookDispatcher(options: WebhookDispatcherOptions): Agent {
  const resolver = options.resolver ?? systemResolver;
  const openSocket = options.openSocket ?? buildConnector({ timeout: options.timeoutMs });
  const connect: buildConnector.connector = (connectOptions, callback) => {
    allowedAddress(connectOptions.hostname, options.policy, resolver).then(
      (checked) => openSocket({ ...connectOptions, hostname: checked.address }, callback),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );
  };
  return new Agent({
    connect,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connections: 4,
    keepAliveTimeout: 4_000,
  });
}
