import type { z } from 'zod';
import type { IncidentContainment, IncidentReport, IncidentSeverity, incidentResolutionSchema, regulatoryReportSchema, Seriousness } from '../domain/incident';
import type { Queryable } from './pool';

export type IncidentResolution = z.output<typeof incidentResolutionSchema>;
export type RegulatoryReport = z.output<typeof regulatoryReportSchema>;

export type IncidentStage = 'acknowledgement' | 'containment' | 'resolution' | 'closure' | 'closed' | 'cancelled';

export interface IncidentRecord {
  id: string;
  systemId: string;
  workflowId: string;
  reporterId: string;
  severity: IncidentSeverity;
  serious: boolean;
  /** Why it is serious (Art. 3(49)) and what sets its clock (Art. 73(2)-(4)). */
  seriousness: Seriousness | null;
  description: string;
  occurredAt: string;
  /** When the organisation became aware of it, from which the Art. 73 clock runs; the report's own time when not given. */
  becameAwareAt: string;
  reportedAt: string;
  stage: IncidentStage;
  acknowledgedAt: string | null;
  containment: IncidentContainment | null;
  containedAt: string | null;
  suspendedSystem: boolean;
  resolution: IncidentResolution | null;
  resolvedAt: string | null;
  regulatoryReportDue: string | null;
  regulatoryReport: RegulatoryReport | null;
  regulatoryReportedAt: string | null;
  outcome: 'closed' | 'closed_reassessing' | null;
  closedBy: string | null;
  closedAt: string | null;
}

const toIso = (value: Date | null) => value?.toISOString() ?? null;

const toIncident = (row: Record<string, any>): IncidentRecord => ({
  id: row.id,
  systemId: row.system_id,
  workflowId: row.workflow_id,
  reporterId: row.reporter_id,
  severity: row.severity,
  serious: row.serious,
  seriousness: row.seriousness,
  description: row.description,
  occurredAt: row.occurred_at.toISOString(),
  becameAwareAt: (row.became_aware_at ?? row.reported_at).toISOString(),
  reportedAt: row.reported_at.toISOString(),
  stage: row.stage,
  acknowledgedAt: toIso(row.acknowledged_at),
  containment: row.containment,
  containedAt: toIso(row.contained_at),
  suspendedSystem: row.suspended_system,
  resolution: row.resolution,
  resolvedAt: toIso(row.resolved_at),
  regulatoryReportDue: toIso(row.regulatory_report_due),
  regulatoryReport: row.regulatory_report,
  regulatoryReportedAt: toIso(row.regulatory_reported_at),
  outcome: row.outcome,
  closedBy: row.closed_by,
  closedAt: toIso(row.closed_at),
});

/** Inserts the incident as reported; a retried insert finds it and changes nothing. */
export async function insertIncident(
  db: Queryable,
  incident: { id: string; systemId: string; workflowId: string; reporterId: string; report: IncidentReport; regulatoryReportDue: string | null },
): Promise<void> {
  const { report } = incident;
  await db.query(
    `INSERT INTO incidents (id, system_id, workflow_id, reporter_id, severity, serious, description, occurred_at, regulatory_report_due,
                            became_aware_at, seriousness)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`,
    [
      incident.id,
      incident.systemId,
      incident.workflowId,
      incident.reporterId,
      report.severity,
      report.serious,
      report.description,
      report.occurredAt,
      incident.regulatoryReportDue,
      report.becameAwareAt ?? null,
      report.seriousness ?? null,
    ],
  );
}

/** A system's incidents, the latest reported first. */
export async function incidentsOf(db: Queryable, systemId: string): Promise<IncidentRecord[]> {
  const { rows } = await db.query('SELECT * FROM incidents WHERE system_id = $1 ORDER BY reported_at DESC, id', [systemId]);
  return rows.map(toIncident);
}
