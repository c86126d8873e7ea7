/**
 * Azure OpenAI takes OpenAI's request bodies (Chat Completions or Responses); the deployment the
 * account maps the model to is chosen at call time, so the line's checks are OpenAI's.
 */
export { openaiRequestBodySchema as azureOpenAIRequestBodySchema } from '../openai/request-schema.ts';
