/** Image and file references in Chat Completions content: data URLs and plain URLs. */
import { TranslationError } from './translation.ts';

export interface InlineData {
  mimeType: string;
  /** Base64, as it was in the data URL. */
  data: string;
}

const dataUrlPattern = /^data:([^;,]+)((?:;[^;,=]+=[^;,]*)*);base64,/i;

/** True for a `data:` URL (inline content), false for a URL the provider has to fetch. */
export function isDataUrl(url: string): boolean {
  return url.slice(0, 5).toLowerCase() === 'data:';
}

/** Splits `data:<mime>[;param=value];base64,<data>`; throws for any other data URL. */
export function parseDataUrl(url: string, where: string): InlineData {
  const match = dataUrlPattern.exec(url);
  if (match === null) {
    throw new TranslationError(`${where}: a data URL must look like data:<mime type>;base64,<data>`);
  }
  return { mimeType: (match[1] as string).toLowerCase(), data: url.slice(match[0].length) };
}

const mimeByExtension: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
};

/** The MIME type a URL's file extension suggests, or undefined. */
export function mimeTypeOfUrl(url: string): string | undefined {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return extension === undefined ? undefined : mimeByExtension[extension];
}

/** `input_audio.format` → MIME type. */
export function audioMimeType(format: string): string {
  const lower = format.toLowerCase();
  if (lower === 'mp3') return 'audio/mp3';
  if (lower === 'wav') return 'audio/wav';
  return `audio/${lower}`;
}
