/**
 * Cancellation: the AbortSignal in ExecuteOptions ends the upstream request (the simulator sees
 * the client go away and counts it as "aborted"), directly and through proxies, and the call
 * fails with kind `cancelled`. The simulator would otherwise take 30 s to answer, so a signal
 * that did not reach the socket would run into the test's own timeout.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StreamPart } from '../../src/executors/types.ts';
import { closeDispatchers } from '../../src/http/dispatchers.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { startHttpProxy, startSocks5Proxy, type RunningHttpProxy, type RunningSocks5Proxy } from '../helpers/proxies.ts';
import { executor, failureOf, promptRequest, testAccount } from './anthropic-client.ts';

const testTimeoutMs = 8000;
let simulator: RunningSimulator;
let httpProxy: RunningHttpProxy;
let socksProxy: RunningSocks5Proxy;

const routes = {
  direct: () => undefined,
  'http proxy': () => httpProxy.url(),
  'socks5h proxy': () => socksProxy.url('socks5h'),
} as const;
type Route = keyof typeof routes;
const routeNames = Object.keys(routes) as Route[];

beforeAll(async () => {
  simulator = await startSimulator({ streamChunkDelayMs: 20, streamChunkWords: 1, faults: { slowMs: 30_000 } });
  httpProxy = await startHttpProxy();
  socksProxy = await startSocks5Proxy();
});
afterEach(async () => {
  await closeDispatchers();
  simulator.reset();
});
afterAll(async () => {
  await simulator.close();
  await httpProxy.close();
  await socksProxy.close();
});

function accountFor(route: Route) {
  const proxy = routes[route]();
  return testAccount({ baseUrl: simulator.url, ...(proxy === undefined ? {} : { proxy }) });
}

/** Waits until the simulator has counted `count` requests whose client went away. */
async function simulatorSawAborted(count: number): Promise<void> {
  await vi.waitFor(() => expect(simulator.stats().byStatus.aborted).toBe(count), { timeout: 5000, interval: 10 });
}

describe('cancellation through ExecuteOptions.signal', () => {
  it.each(routeNames)(
    'execute (%s): aborting while the simulator is still working ends the request as cancelled',
    async (route) => {
      const controller = new AbortController();
      const pending = executor.execute(
        promptRequest('[[sim:fault=slow]] take your time'),
        { signal: controller.signal },
        accountFor(route),
      );
      // The request has reached the simulator and waits there.
      await vi.waitFor(() => expect(simulator.stats().inFlight).toBe(1), { timeout: 5000, interval: 10 });

      controller.abort();
      const error = await failureOf(pending);

      expect(error.kind).toBe('cancelled');
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(/was cancelled/);
      await simulatorSawAborted(1);
      expect(simulator.stats().inFlight).toBe(0);
    },
    testTimeoutMs,
  );

  it.each(routeNames)(
    'executeStream (%s): aborting mid-stream ends the stream with a cancelled error part',
    async (route) => {
      const controller = new AbortController();
      const stream = executor.executeStream(
        promptRequest('[[sim:words=5000]] a long answer'),
        { signal: controller.signal },
        accountFor(route),
      );
      const parts: StreamPart[] = [];
      for await (const part of stream) {
        parts.push(part);
        if (part.type === 'text-delta' && !controller.signal.aborted) controller.abort();
      }

      const last = parts.at(-1);
      expect(last?.type).toBe('error');
      if (last?.type !== 'error') return;
      expect(last.error.kind).toBe('cancelled');
      expect(parts.some((part) => part.type === 'done')).toBe(false);
      await simulatorSawAborted(1);
    },
    testTimeoutMs,
  );

  it('a signal aborted before the call sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await failureOf(executor.execute(promptRequest('never sent'), { signal: controller.signal }, accountFor('direct')));
    expect(error.kind).toBe('cancelled');
    expect(simulator.stats().requests).toBe(0);
  });
});
