import { z } from 'zod';
import { text } from './fields';
import { intakeRequestSchema } from './system';

/**
 * What starts a periodic review: its schedule, a person asking now, or a process that needs a
 * re-assessment (also one asked for while the system was suspended, started when it resumes).
 */
export const reviewReasons = ['scheduled', 'requested', 'incident', 'risk_acceptance_lapsed', 'deferred_reassessment'] as const;
export type ReviewReason = (typeof reviewReasons)[number];

/**
 * How a review ends: no material change; re-assessed, or failed its re-assessment (the system is
 * suspended); the owner did not attest in time; deferred while the system is suspended; or found a
 * prohibited practice (the system is suspended and its retirement starts).
 */
export type ReviewClosing = 'unchanged' | 'reassessed' | 'reassessment_failed' | 'expired' | 'deferred' | 'prohibited';

/**
 * The owner's attestation at a periodic review: nothing material changed, or what did. A change to
 * what the intake says (its purpose, its uses, its answers on the EU AI Act) comes with the intake as
 * it now stands, so that the system is triaged and classified again before it is re-assessed.
 */
export const reviewAttestationSchema = z.discriminatedUnion(
  'status',
  [
    z.strictObject({ status: z.literal('unchanged'), note: text(2000).optional() }),
    z.strictObject({ status: z.literal('changed'), changes: text(4000), intake: intakeRequestSchema.optional() }),
  ],
  { error: () => "status must be 'unchanged' or 'changed' (with changes: what changed)" },
);
export type ReviewAttestation = z.output<typeof reviewAttestationSchema>;
