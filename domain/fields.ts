import { z } from 'zod';

/** Required text, trimmed, with a message a person can act on. */
export const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);

/** A choice among fixed options, with a message that names them. */
export const oneOf = <T extends readonly [string, ...string[]]>(options: T) =>
  z.enum(options, { error: () => `choose one of: ${options.join(', ')}` });
