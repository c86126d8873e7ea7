/**
 * The test proxies themselves, on paths the executor tests do not take: absolute-form requests
 * through the HTTP proxy (what undici sends with `proxyTunnel: false`, and curl by default), and
 * how toProviderError reads a 407 on that path.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProxyAgent, request } from 'undici';
import { toProviderError } from '../../src/http/request-errors.ts';
import { simulatedAnswer } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { startHttpProxy, type RunningHttpProxy } from '../helpers/proxies.ts';

const credentials = { username: 'helper', password: 'helper-pw' };
let simulator: RunningSimulator;
let proxy: RunningHttpProxy;
const agents: ProxyAgent[] = [];

function forwardingAgent(uri: string): ProxyAgent {
  const agent = new ProxyAgent({ uri, proxyTunnel: false });
  agents.push(agent);
  return agent;
}

function post(agent: ProxyAgent, prompt: string) {
  return request(`${simulator.url}/v1/messages`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk-helper', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      messages: [{ role: 'user', content: prompt }],
    }),
  });
}

beforeAll(async () => {
  simulator = await startSimulator();
  proxy = await startHttpProxy({ auth: credentials });
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()));
});
afterAll(async () => {
  await proxy.close();
  await simulator.close();
});

describe('startHttpProxy, absolute-form requests', () => {
  it('forwards them to the target and counts them', async () => {
    const response = await post(forwardingAgent(proxy.url()), 'forward me');
    const body = (await response.body.json()) as { content: { text: string }[] };
    expect(response.statusCode).toBe(200);
    expect(body.content[0]?.text).toBe(simulatedAnswer('forward me'));
    expect(proxy.stats.forwarded).toBe(1);
    expect(proxy.stats.tunnels).toBe(0);
    expect(proxy.stats.targets).toEqual([`127.0.0.1:${simulator.port}`]);
  });

  it('answers 407 to wrong credentials, which maps to auth', async () => {
    const agent = forwardingAgent(proxy.url({ username: 'helper', password: 'nope' }));
    let caught: unknown;
    try {
      await post(agent, 'rejected');
    } catch (error) {
      caught = error;
    }
    expect(proxy.stats.rejectedAuth).toBe(1);
    const mapped = toProviderError(caught, { provider: 'anthropic', url: simulator.url, proxy: proxy.url() });
    expect(mapped.kind).toBe('auth');
    expect(mapped.message).not.toContain(credentials.password);
  });
});
