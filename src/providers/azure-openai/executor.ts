/**
 * The Azure OpenAI executor: the OpenAI executor with Azure's addressing (resource endpoint,
 * deployment, api-version) and auth (`api-key` or an Entra ID token). See api.ts.
 */
import type { ExecutorContext } from '../../executors/types.ts';
import { OpenAICompatibleExecutor, type OpenAIDialect } from '../openai/executor.ts';
import { entraSource } from './entra.ts';
import { azureNotFoundHint, azureOpenAIUrl, azureRequestBody, azureRequestHeaders } from './api.ts';

export const azureOpenAIDialect: OpenAIDialect<'azure-openai'> = {
  provider: 'azure-openai',
  route(request, account, endpoint, stream, credential) {
    return {
      url: azureOpenAIUrl(account, endpoint, request.model),
      headers: azureRequestHeaders(credential === undefined ? account : { authToken: credential.secret }, { stream }),
      body: azureRequestBody(request, account, { endpoint, stream }),
      notFoundHint: azureNotFoundHint(account, endpoint, request.model),
    };
  },
  credentialSource: entraSource,
};

export class AzureOpenAIExecutor extends OpenAICompatibleExecutor<'azure-openai'> {
  constructor(context: ExecutorContext) {
    super(context, azureOpenAIDialect);
  }
}
