import { z } from 'zod';

// PostgreSQL stores neither NUL in text nor \u0000 in JSON, and a lone UTF-16 surrogate has no UTF-8
// form: text holding one would be refused, or silently changed, only after it had been accepted.
const unstorableCharacter = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const unstorableTextMessage = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** True when PostgreSQL can store the string as it is, in a text column and in JSON. */
export const isStorableText = (value: string) => !unstorableCharacter.test(value);

/**
 * The path of the first string (value or key) in a parsed body that PostgreSQL could not store, or
 * undefined: the door check for input whose shape is only checked further in (submissions).
 */
export function findUnstorableText(value: unknown, path: (string | number)[] = []): (string | number)[] | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : path;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findUnstorableText(item, [...path, index]);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (!isStorableText(key)) return [...path, key];
      const found = findUnstorableText(item, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

/** Any text the platform keeps: trimmed, bounded, and storable as it was typed. */
export const storableText = (max: number) => z.string().trim().max(max).refine(isStorableText, unstorableTextMessage);

/** Required text, trimmed, with a message a person can act on. */
export const text = (max: number) => storableText(max).refine((value) => value.length > 0, 'must not be empty');

// Control characters break a line (and with it an email or a log line); bidirectional embeddings,
// overrides and isolates make text display in another order than it reads (Trojan Source).
const notOnOneLine = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
export const singleLineMessage = 'must be one line, without control characters or bidirectional overrides';

/** Required one-line text for names and titles, which appear in email subjects, lists and logs. */
export const line = (max: number) => text(max).refine((value) => !notOnOneLine.test(value), singleLineMessage);

/** Text written by a person, kept to one line for a plain-text email, also when it was stored before `line` checked it. */
export const onOneLine = (value: string) => value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/[\u202a-\u202e\u2066-\u2069]/g, '');

/** Text written by a person in a plain-text email: on one line and quoted, so it can never pass for the platform's own. */
export const quotedInEmail = (value: string) => `> ${onOneLine(value)}`;

/** A choice among fixed options, with a message that names them. */
export const oneOf = <T extends readonly [string, ...string[]]>(options: T) => z.enum(options, { error: () => `choose one of: ${options.join(', ')}` });
