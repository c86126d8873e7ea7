/** What a translation gives back and its error; they live with the shared Chat Completions helpers. */
export { TranslationError, warningList, type Translation } from '../providers/shared/openai-chat/translation.ts';
