import { z } from 'zod';
import { text } from './fields';

/**
 * What starts a periodic review: its schedule, a person asking now, or a process that needs a
 * re-assessment (also one asked for while the system was suspended, started when it resumes).
 */
export const reviewReasons = ['scheduled', 'requested', 'incident', 'risk_acceptance_lapsed', 'deferred_reassessment'] as const;
export type ReviewReason = (typeof reviewReasons)[number];

/** The owner's attestation at a periodic review: nothing material changed, or what did. */
export const reviewAttestationSchema = z.discriminatedUnion(
  'status',
  [z.strictObject({ status: z.literal('unchanged'), note: text(2000).optional() }), z.strictObject({ status: z.literal('changed'), changes: text(4000) })],
  { error: () => "status must be 'unchanged' or 'changed' (with changes: what changed)" },
);
export type ReviewAttestation = z.output<typeof reviewAttestationSchema>;
