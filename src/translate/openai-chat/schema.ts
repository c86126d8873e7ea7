/** The Chat Completions request schema; it lives with the shared helpers the providers' translations use. */
export * from '../../providers/shared/openai-chat/schema.ts';
