/** The simulator's Azure OpenAI API on the wire: paths, api-version, keys, 429 hints and errors. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { simulatedAnswer } from '../../src/simulator/answer.ts';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { chatBody, frames, post, postStream, responsesBody } from '../providers/openai/sim-client.ts';

let sim: RunningSimulator;
const apiKey = { 'api-key': 'azure-key' };
const deploymentPath = '/openai/deployments/my-gpt4o/chat/completions';

beforeAll(async () => {
  sim = await startSimulator({
    acceptAnyKey: false,
    keys: [{ key: 'azure-key' }, { key: 'azure-limited', limits: { rpm: 1 } }],
    burstSeconds: 60,
    models: ['my-*', 'gpt-*'],
  });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

describe('Azure OpenAI paths', () => {
  it('answers on a deployment path with an api-version, as the deployment', async () => {
    const prompt = 'hello azure';
    const response = await post(sim, `${deploymentPath}?api-version=2024-10-21`, { messages: [{ role: 'user', content: prompt }] }, apiKey);
    expect(response.status).toBe(200);
    expect(response.headers.get('apim-request-id')).toMatch(/^req_/);
    expect(response.json).toMatchObject({
      object: 'chat.completion',
      model: 'my-gpt4o',
      choices: [{ message: { content: simulatedAnswer(prompt) }, finish_reason: 'stop' }],
    });
  });

  it.each([deploymentPath, '/openai/responses'])('answers 404 Resource not found on %s without api-version', async (path) => {
    const response = await post(sim, path, responsesBody('x', { messages: [{ role: 'user', content: 'x' }] }), apiKey);
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ error: { code: '404', message: 'Resource not found' } });
  });

  it('serves Responses on /openai/responses and both APIs on /openai/v1', async () => {
    const prompt = 'v1 please';
    const responses = await post(
      sim,
      '/openai/responses?api-version=2025-04-01-preview',
      responsesBody(prompt, { model: 'my-mini' }),
      apiKey,
    );
    expect(responses.json).toMatchObject({ object: 'response', model: 'my-mini', status: 'completed' });
    const v1Chat = await post(sim, '/openai/v1/chat/completions', chatBody(prompt, { model: 'my-mini' }), apiKey);
    expect(v1Chat.json).toMatchObject({ model: 'my-mini', choices: [{ message: { content: simulatedAnswer(prompt) } }] });
    const { text } = await postStream(sim, '/openai/v1/responses', responsesBody(prompt, { model: 'my-mini', stream: true }), apiKey);
    expect(frames(text).at(-1)?.event).toBe('response.completed');
  });

  it('needs the deployment as model on the v1 routes', async () => {
    const response = await post(sim, '/openai/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }] }, apiKey);
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ error: { param: 'model', code: 'missing_required_parameter' } });
  });

  it('answers DeploymentNotFound for a deployment it does not serve', async () => {
    const response = await post(sim, '/openai/deployments/davinci/chat/completions?api-version=2024-10-21', chatBody('x'), apiKey);
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ error: { code: 'DeploymentNotFound', message: expect.stringContaining('davinci') } });
  });
});

describe('Azure OpenAI keys', () => {
  it('takes a key from api-key or an Entra ID bearer token', async () => {
    const path = `${deploymentPath}?api-version=2024-10-21`;
    expect((await post(sim, path, chatBody('x'), apiKey)).status).toBe(200);
    expect((await post(sim, path, chatBody('x'), { authorization: 'Bearer azure-key' })).status).toBe(200);
  });

  it.each([[{}], [{ 'api-key': 'wrong' }]])('answers 401 in Azure shape for %j', async (headers) => {
    const response = await post(sim, `${deploymentPath}?api-version=2024-10-21`, chatBody('x'), headers);
    expect(response.status).toBe(401);
    expect(response.json).toEqual({ error: { code: '401', message: expect.stringContaining('Access denied') } });
  });
});

describe('Azure OpenAI rate limits and faults', () => {
  it('sends remaining/limit headers without resets, and 429s with every retry hint', async () => {
    const path = `${deploymentPath}?api-version=2024-10-21`;
    const first = await post(sim, path, chatBody('first'), { 'api-key': 'azure-limited' });
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset-requests')).toBeNull();

    const second = await post(sim, path, chatBody('second'), { 'api-key': 'azure-limited' });
    expect(second.status).toBe(429);
    const ms = Number(second.headers.get('retry-after-ms'));
    expect(ms).toBeGreaterThan(50_000);
    expect(second.headers.get('x-ms-retry-after-ms')).toBe(String(ms));
    expect(second.headers.get('retry-after')).toBe(String(Math.ceil(ms / 1000)));
    expect(second.json).toEqual({
      error: { code: '429', message: expect.stringMatching(/Please retry after \d+ seconds\.$/) },
    });
    expect(sim.stats().byKey['azure-limited']).toMatchObject({ succeeded: 1, rateLimited: 1 });
  });

  it.each([
    ['overloaded', 503, { code: 'ServiceUnavailable' }],
    ['server', 500, { code: 'InternalServerError' }],
    ['rate_limit', 429, { code: '429' }],
    ['permission', 403, { code: 'PermissionDenied' }],
    ['not_found', 404, { code: 'DeploymentNotFound' }],
    ['too_large', 400, { code: 'context_length_exceeded', type: 'invalid_request_error' }],
    ['invalid', 400, { type: 'invalid_request_error' }],
  ])('%s answers %i in Azure shape', async (fault, status, error) => {
    const response = await post(sim, `${deploymentPath}?api-version=2024-10-21`, chatBody(`x [[sim:fault=${fault}]]`), apiKey);
    expect(response.status).toBe(status);
    expect(response.json).toMatchObject({ error: { message: expect.any(String), ...error } });
    if (fault === 'rate_limit') {
      expect(response.headers.get('retry-after')).toBe('1');
      expect(response.headers.get('retry-after-ms')).toBe('1000');
      expect(response.headers.get('x-ms-retry-after-ms')).toBe('1000');
    }
  });
});
