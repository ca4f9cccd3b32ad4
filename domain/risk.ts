import { z } from 'zod';
import { line, oneOf, text } from './fields';
import { annexAControls } from './standards';

export const riskLevels = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof riskLevels)[number];
export const treatments = ['mitigate', 'accept', 'transfer', 'avoid'] as const;
const controlIds = annexAControls.map((control) => control.id) as [string, ...string[]];

/** One risk of the register (ISO/IEC 23894): where it comes from, how likely and bad, and how it is treated. */
const riskSchema = z
  .strictObject({
    id: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9._-]{1,40}$/, 'a short id such as R1'),
    title: line(300),
    source: text(1000),
    likelihood: oneOf(['rare', 'possible', 'likely', 'almost_certain']),
    impact: oneOf(riskLevels),
    treatment: oneOf(treatments),
    /** ISO/IEC 42001 Annex A controls applied, by id. */
    controls: z.array(z.enum(controlIds, { error: () => 'an ISO/IEC 42001 Annex A control id such as A.7.4' })).max(38),
    residual: oneOf(riskLevels),
    owner: text(200),
    /** An accepted risk is accepted until a date, then comes back for re-acceptance. */
    acceptanceExpiresAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
  })
  .refine((risk) => risk.treatment !== 'accept' || risk.acceptanceExpiresAt !== undefined, {
    message: 'an accepted risk needs acceptanceExpiresAt',
    path: ['acceptanceExpiresAt'],
  })
  .refine((risk) => risk.treatment === 'accept' || risk.controls.length > 0 || risk.treatment === 'avoid', {
    message: 'name the Annex A controls that mitigate or transfer this risk',
    path: ['controls'],
  })
  .refine((risk) => riskLevels.indexOf(risk.residual) <= riskLevels.indexOf(risk.impact), {
    message: 'a treatment cannot leave more risk than the impact it started from',
    path: ['residual'],
  })
  .refine((risk) => risk.treatment !== 'accept' || risk.residual === risk.impact, {
    message: 'an accepted risk is not treated: its residual rating is its impact',
    path: ['residual'],
  });

export const riskRegisterSchema = z.strictObject({
  risks: z
    .array(riskSchema)
    .min(1, 'name at least one risk')
    .max(200)
    .refine((risks) => new Set(risks.map((risk) => risk.id)).size === risks.length, 'risk ids must be unique'),
});
export type RiskRegister = z.output<typeof riskRegisterSchema>;

/** The register's residual risk: its highest residual rating, which sets the sign-off chain. */
export function residualRiskOf(register: RiskRegister): RiskLevel {
  return riskLevels[Math.max(...register.risks.map((risk) => riskLevels.indexOf(risk.residual)))];
}
