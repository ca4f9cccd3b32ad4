import { z } from 'zod';
import { text } from './fields';
import { riskTiers } from './system';

/**
 * A triage decider's verdict on the tier and EU AI Act classification the rules gave: confirmed, or
 * overridden to another tier with the reason (an exception the answers cannot show, counsel's reading
 * of an Art. 6(3) claim, a practice the answers missed), by a governance lead or legal counsel. It goes
 * with an acceptance; where several accept, the highest tier they stand for is followed.
 */
export const triageVerdictSchema = z.discriminatedUnion(
  'verdict',
  [z.strictObject({ verdict: z.literal('confirmed') }), z.strictObject({ verdict: z.literal('overridden'), tier: z.enum(riskTiers), reason: text(2000) })],
  { error: () => "verdict must be 'confirmed' or 'overridden' (with tier and reason)" },
);
export type TriageVerdict = z.output<typeof triageVerdictSchema>;

/** What a triage decision may carry: the verdict on the classification. Without one, an acceptance takes the triage as it is. */
export const triageDecisionSchema = z.strictObject({ classification: triageVerdictSchema }).optional();
