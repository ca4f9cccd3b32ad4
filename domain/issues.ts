import type { z } from 'zod';

/** One readable line per problem, "path: message", for refusals that travel as a single message. */
export function describeIssues(error: z.ZodError, root = '(value)'): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || root}: ${issue.message}`);
}
