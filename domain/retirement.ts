import { z } from 'zod';
import { text } from './fields';

/** `POST /api/v1/systems/:id/retirement`: why, and from when the system is out of service. */
export const retirementRequestSchema = z.strictObject({
  reason: text(2000),
  retireOn: z.iso.date({ message: 'must be a date such as 2027-03-31' }),
});
export type RetirementRequest = z.output<typeof retirementRequestSchema>;

/** What the holder of a checklist item records as done: the evidence an auditor can follow. */
export const checklistEvidenceSchema = z.strictObject({ evidence: text(4000) });
