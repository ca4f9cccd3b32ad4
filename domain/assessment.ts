import { z } from 'zod';
import { oneOf, text } from './fields';

const list = (max: number, atLeast = 1, what = 'entry') =>
  z
    .array(text(max))
    .min(atLeast, atLeast ? `name at least ${atLeast === 1 ? 'one' : atLeast} ${what}` : undefined)
    .max(50);

export const impactSeverities = ['low', 'medium', 'high'] as const;
export type ImpactLevel = (typeof impactSeverities)[number];

/** One actual or reasonably foreseeable impact (ISO/IEC 42005 clause 6): on whom, good or bad, how much. */
const impactSchema = z.strictObject({
  description: text(2000),
  on: oneOf(['individuals', 'groups', 'society']),
  kind: oneOf(['benefit', 'harm']),
  severity: oneOf(impactSeverities),
  likelihood: oneOf(['rare', 'possible', 'likely']),
});

/** The content of an AI system impact assessment, after ISO/IEC 42005 clause 6. */
export const impactAssessmentSchema = z
  .strictObject({
    scope: text(4000),
    system: z.strictObject({
      description: text(4000),
      functionalities: text(4000),
      purpose: text(4000),
      intendedUses: list(1000, 1, 'intended use'),
      unintendedUses: list(1000, 0),
    }),
    data: z.strictObject({ description: text(4000), quality: text(4000) }),
    model: z.strictObject({ description: text(4000) }),
    deployment: z.strictObject({
      environment: text(4000),
      geographies: list(200, 1, 'geography'),
      languages: list(100, 1, 'language'),
    }),
    interestedParties: list(500, 1, 'interested party'),
    impacts: z
      .array(impactSchema)
      .min(1, 'name at least one impact, benefit or harm')
      .max(100)
      .refine((impacts) => impacts.some((impact) => impact.kind === 'harm'), 'name at least one foreseeable harm: every AI system can do some'),
    failuresAndMisuse: list(2000, 1, 'failure or foreseeable misuse'),
    measures: list(2000, 0),
  })
  .refine((assessment) => assessment.measures.length > 0 || assessment.impacts.every((impact) => impact.kind === 'benefit' || impact.severity === 'low'), {
    message: 'name the measures that address the medium and high harms',
    path: ['measures'],
  });
export type ImpactAssessment = z.output<typeof impactAssessmentSchema>;

/** The impact level an assessment sets: the most severe harm it names (no harm named: low). */
export function impactLevelOf(assessment: ImpactAssessment): ImpactLevel {
  const harms = assessment.impacts.filter((impact) => impact.kind === 'harm').map((impact) => impactSeverities.indexOf(impact.severity));
  return impactSeverities[Math.max(0, ...harms)];
}
