import { z } from 'zod';
import { line, oneOf, text } from './fields';

/** The stages whose tasks the workflow reopens when nobody acted in time. */
export type IncidentTaskStage = 'acknowledgement' | 'containment' | 'resolution' | 'closure' | 'regulatory_report';

export const incidentSeverities = ['low', 'medium', 'high', 'critical'] as const;
export type IncidentSeverity = (typeof incidentSeverities)[number];

/** `POST /api/v1/systems/:id/incidents`: what happened, how bad, when; `serious` starts the regulatory clock. */
export const incidentReportSchema = z.strictObject({
  severity: oneOf(incidentSeverities),
  description: text(4000),
  occurredAt: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
    .refine((at) => Date.parse(at) <= Date.now() + 60_000, 'an incident cannot occur in the future'),
  /** A serious incident in the sense of EU AI Act Art. 73: reported to the market surveillance authority. */
  serious: z.boolean().default(false),
});
export type IncidentReport = z.output<typeof incidentReportSchema>;

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
