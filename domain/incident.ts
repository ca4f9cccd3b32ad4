import { z } from 'zod';
import { line, oneOf, text } from './fields';

/** The stages whose tasks the workflow reopens when nobody acted in time. */
export type IncidentTaskStage = 'acknowledgement' | 'containment' | 'resolution' | 'closure' | 'regulatory_report';

export const incidentSeverities = ['low', 'medium', 'high', 'critical'] as const;
export type IncidentSeverity = (typeof incidentSeverities)[number];

/** EU AI Act Art. 3(49)(a)-(d): what makes an incident serious. */
export const seriousIncidentLimbs = [
  'death_or_serious_harm_to_health',
  'critical_infrastructure_disruption',
  'fundamental_rights_infringement',
  'property_or_environment_harm',
] as const;

const pastDateTime = (inTheFuture: string) =>
  z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).refine((at) => Date.parse(at) <= Date.now() + 60_000, inTheFuture);

/** Why an incident is serious, decided against the limbs of Art. 3(49), and what sets its reporting clock (Art. 73(2)-(4)). */
export const seriousnessSchema = z.strictObject({
  limbs: z.array(oneOf(seriousIncidentLimbs)).min(1, 'name the limb of Art. 3(49) the incident meets').max(seriousIncidentLimbs.length),
  /** Art. 73(4): a person died. */
  death: z.boolean().default(false),
  /** Art. 73(3), Art. 3(61): an infringement that is widespread. */
  widespreadInfringement: z.boolean().default(false),
  rationale: text(4000),
  /** Art. 73(2): once a causal link between the system and the incident is established, the report is due immediately. */
  causalLinkEstablishedAt: pastDateTime('a causal link cannot be established in the future').optional(),
});
export type Seriousness = z.output<typeof seriousnessSchema>;

/** `POST /api/v1/systems/:id/incidents`: what happened, how bad, when; `serious` starts the regulatory clock. */
export const incidentReportSchema = z
  .strictObject({
    severity: oneOf(incidentSeverities),
    description: text(4000),
    occurredAt: pastDateTime('an incident cannot occur in the future'),
    /** When the organisation became aware of it; the Art. 73 clock runs from here (the report's own time when left out). */
    becameAwareAt: pastDateTime('one cannot become aware of an incident in the future').optional(),
    /** A serious incident in the sense of EU AI Act Art. 73: reported to the market surveillance authority. */
    serious: z.boolean().default(false),
    seriousness: seriousnessSchema.optional(),
  })
  .superRefine((report, context) => {
    if (report.becameAwareAt && Date.parse(report.becameAwareAt) < Date.parse(report.occurredAt))
      context.addIssue({ code: 'custom', path: ['becameAwareAt'], message: 'one becomes aware of an incident after it occurred' });
    if (report.serious && !report.seriousness)
      context.addIssue({ code: 'custom', path: ['seriousness'], message: 'say which limb of Art. 3(49) makes the incident serious, and why' });
    if (!report.serious && report.seriousness)
      context.addIssue({ code: 'custom', path: ['seriousness'], message: 'only a serious incident has a seriousness' });
  });
export type IncidentReport = z.output<typeof incidentReportSchema>;

/** Art. 73(2)-(4): the deadlines of a report to the authority, by what the incident is; a policy may only shorten them. */
export interface SeriousIncidentDeadlines {
  general: number;
  death: number;
  widespreadOrCriticalInfrastructure: number;
  /** What "immediately" gives, from the causal link established, never later than the deadline of the incident's kind. */
  onceCausalLinkEstablished?: number;
}

/** Which Art. 73 deadline a serious incident runs under. */
export function seriousIncidentClock(seriousness: Seriousness | undefined): {
  clock: Exclude<keyof SeriousIncidentDeadlines, 'onceCausalLinkEstablished'>;
  provision: string;
} {
  if (seriousness?.widespreadInfringement || seriousness?.limbs.includes('critical_infrastructure_disruption'))
    return { clock: 'widespreadOrCriticalInfrastructure', provision: 'Art. 73(3)' };
  if (seriousness?.death) return { clock: 'death', provision: 'Art. 73(4)' };
  return { clock: 'general', provision: 'Art. 73(2)' };
}

/**
 * When the report to the authority is due: from becoming aware of the incident (or from its report,
 * `reportedAt`, when awareness is not given), within the deadline its kind sets. Null unless serious.
 */
export function regulatoryReportDue(report: IncidentReport, deadlines: SeriousIncidentDeadlines, reportedAt: number): string | null {
  if (!report.serious) return null;
  const awareFrom = report.becameAwareAt ? Date.parse(report.becameAwareAt) : reportedAt;
  const byKind = awareFrom + deadlines[seriousIncidentClock(report.seriousness).clock];
  const causalLinkAt = report.seriousness?.causalLinkEstablishedAt;
  if (!causalLinkAt || deadlines.onceCausalLinkEstablished === undefined) return new Date(byKind).toISOString();
  return new Date(Math.min(byKind, Date.parse(causalLinkAt) + deadlines.onceCausalLinkEstablished)).toISOString();
}

/** The owner contains the incident; suspending the system takes it out of service until the incident closes. */
export const incidentContainmentSchema = z.strictObject({
  actions: text(4000),
  suspendSystem: z.boolean(),
});
export type IncidentContainment = z.output<typeof incidentContainmentSchema>;

export const incidentResolutionSchema = z.strictObject({
  rootCause: text(4000),
  actions: text(4000),
});

/** The report to the authority of a serious incident, with the date it was made. */
export const regulatoryReportSchema = z.strictObject({
  authority: line(300),
  reference: line(200),
  reportedAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
});
