import { appendAuditEvent, auditEventRecorded } from '../db/audit';
import { sha256Hex } from '../db/hashing';
import { insertIncident, type IncidentResolution, type RegulatoryReport } from '../db/incidents';
import { inTransaction, type Queryable } from '../db/pool';
import { getSystem } from '../db/systems';
import { RecordNotFoundError } from '../domain/failures';
import type { IncidentContainment, IncidentReport, IncidentTaskStage, Seriousness } from '../domain/incident';
import { canonicalJson } from '../domain/policy';
import type { RiskTier } from '../domain/system';
import type { TaskSubject } from '../domain/task';
import type { ActivityDeps } from '.';

interface IncidentRef {
  incidentId: string;
  systemId: string;
}

/** What a stage decided, recorded by the task that decided it. */
interface StageDecision extends IncidentRef {
  taskId: string;
  actorId: string;
}

const incidentKey = (incidentId: string, event: string) => `incident:${incidentId}:${event}`;

/** Only the first attempt writes: a retry finds the event of its first attempt and changes nothing again. */
async function once(db: Queryable, key: string, write: () => Promise<void>) {
  if (!(await auditEventRecorded(db, key))) await write();
}

const setIncident = (db: Queryable, incidentId: string, assignments: string, values: unknown[]) =>
  db.query(`UPDATE incidents SET ${assignments} WHERE id = $1`, [incidentId, ...values]);

export function createIncidentActivities({ pool }: ActivityDeps) {
  return {
    /**
     * Records the reported incident. Answers the system's owner and tier, who the stages go to, and the
     * subject the stage tasks decide on: the report as filed.
     */
    async recordIncidentReported(
      input: IncidentRef & { workflowId: string; reporterId: string; report: IncidentReport; regulatoryReportDue: string | null },
    ): Promise<{ ownerId: string; tier: RiskTier | null; subject: TaskSubject }> {
      const system = await getSystem(pool, input.systemId);
      if (!system) throw new RecordNotFoundError(`AI system ${input.systemId}`);
      await inTransaction(pool, async (db) => {
        await insertIncident(db, {
          id: input.incidentId,
          systemId: input.systemId,
          workflowId: input.workflowId,
          reporterId: input.reporterId,
          report: input.report,
          regulatoryReportDue: input.regulatoryReportDue,
        });
        await appendAuditEvent(db, {
          key: incidentKey(input.incidentId, 'reported'),
          type: 'incident.reported',
          systemId: input.systemId,
          actorId: input.reporterId,
          data: {
            incidentId: input.incidentId,
            severity: input.report.severity,
            serious: input.report.serious,
            occurredAt: input.report.occurredAt,
            regulatoryReportDue: input.regulatoryReportDue,
          },
        });
      });
      return { ownerId: system.ownerId, tier: system.riskTier, subject: { hash: sha256Hex(canonicalJson(input.report)), version: 1 } };
    },

    /** A governance lead decided that the incident is serious, or established a causal link: its clock as it now runs. */
    async recordIncidentSeriousness(input: IncidentRef & { actorId: string; seriousness: Seriousness; regulatoryReportDue: string; updateId: string }) {
      const key = incidentKey(input.incidentId, `seriousness:${input.updateId}`);
      await inTransaction(pool, (db) =>
        once(db, key, async () => {
          await setIncident(db, input.incidentId, 'serious = true, seriousness = $2, regulatory_report_due = $3', [
            input.seriousness,
            input.regulatoryReportDue,
          ]);
          await appendAuditEvent(db, {
            key,
            type: 'incident.seriousness_assessed',
            systemId: input.systemId,
            actorId: input.actorId,
            data: { incidentId: input.incidentId, seriousness: input.seriousness, regulatoryReportDue: input.regulatoryReportDue },
          });
        }),
      );
    },

    async recordIncidentAcknowledged(input: StageDecision) {
      const key = incidentKey(input.incidentId, `acknowledged:${input.taskId}`);
      await inTransaction(pool, (db) =>
        once(db, key, async () => {
          await setIncident(db, input.incidentId, "stage = 'containment', acknowledged_at = now()", []);
          await appendAuditEvent(db, {
            key,
            type: 'incident.acknowledged',
            systemId: input.systemId,
            taskId: input.taskId,
            actorId: input.actorId,
            data: { incidentId: input.incidentId },
          });
        }),
      );
    },

    /** The owner's containment, and whether it took the system out of service (or why it could not). */
    async recordIncidentContained(input: StageDecision & { containment: IncidentContainment; suspended: boolean; suspensionRefused: string | null }) {
      const key = incidentKey(input.incidentId, `contained:${input.taskId}`);
      await inTransaction(pool, (db) =>
        once(db, key, async () => {
          await setIncident(db, input.incidentId, "stage = 'resolution', containment = $2, contained_at = now(), suspended_system = $3", [
            input.containment,
            input.suspended,
          ]);
          await appendAuditEvent(db, {
            key,
            type: 'incident.contained',
            systemId: input.systemId,
            taskId: input.taskId,
            actorId: input.actorId,
            data: { incidentId: input.incidentId, ...input.containment, suspended: input.suspended, suspensionRefused: input.suspensionRefused },
          });
        }),
      );
    },

    /** The owner's resolution; its hash, with the round, is what the closure decides on. */
    async recordIncidentResolved(input: StageDecision & { round: number; resolution: IncidentResolution }): Promise<TaskSubject> {
      const subject = { hash: sha256Hex(canonicalJson({ incidentId: input.incidentId, resolution: input.resolution })), version: input.round };
      const key = incidentKey(input.incidentId, `resolved:${input.taskId}`);
      await inTransaction(pool, (db) =>
        once(db, key, async () => {
          await setIncident(db, input.incidentId, "stage = 'closure', resolution = $2, resolved_at = now()", [input.resolution]);
          await appendAuditEvent(db, {
            key,
            type: 'incident.resolved',
            systemId: input.systemId,
            taskId: input.taskId,
            actorId: input.actorId,
            data: { incidentId: input.incidentId, round: input.round, ...input.resolution, resolutionHash: subject.hash },
          });
        }),
      );
      return subject;
    },

    async recordRegulatoryReport(input: StageDecision & { report: RegulatoryReport; due: string; onTime: boolean }) {
      const key = incidentKey(input.incidentId, 'reported-to-authority');
      await inTransaction(pool, (db) =>
        once(db, key, async () => {
          await setIncident(db, input.incidentId, 'regulatory_report = $2, regulatory_reported_at = $3', [input.report, input.report.reportedAt]);
          await appendAuditEvent(db, {
            key,
            type: 'incident.reported_to_authority',
            systemId: input.systemId,
            taskId: input.taskId,
            actorId: input.actorId,
            data: { incidentId: input.incidentId, ...input.report, due: input.due, onTime: input.onTime },
          });
        }),
      );
    },

    /** The governance lead sent the resolution back: the incident returns to its resolution stage. */
    async recordIncidentClosureChangesRequested(input: StageDecision & { round: number }) {
      const key = incidentKey(input.incidentId, `closure-changes-requested:${input.taskId}`);
      await inTransaction(pool, (db) =>
        once(db, key, async () => {
          await setIncident(db, input.incidentId, "stage = 'resolution'", []);
          await appendAuditEvent(db, {
            key,
            type: 'incident.closure_changes_requested',
            systemId: input.systemId,
            taskId: input.taskId,
            actorId: input.actorId,
            data: { incidentId: input.incidentId, round: input.round },
          });
        }),
      );
    },

    /** Nobody acted on a stage before the end of its escalation ladder: it opens again, for the governance leads. */
    async recordIncidentStageReopened(input: IncidentRef & { stage: IncidentTaskStage; lapsedTaskId: string; status: string }) {
      await inTransaction(pool, (db) =>
        appendAuditEvent(db, {
          key: incidentKey(input.incidentId, `reopened:${input.lapsedTaskId}`),
          type: 'incident.stage_reopened',
          systemId: input.systemId,
          taskId: input.lapsedTaskId,
          data: { incidentId: input.incidentId, stage: input.stage, lapsedStatus: input.status, reopenedFor: 'governance_lead' },
        }),
      );
    },

    async recordIncidentClosed(input: StageDecision & { outcome: 'closed' | 'closed_reassessing'; resumed: boolean; reviewWorkflowId: string | null }) {
      const key = incidentKey(input.incidentId, 'closed');
      await inTransaction(pool, (db) =>
        once(db, key, async () => {
          await setIncident(db, input.incidentId, "stage = 'closed', outcome = $2, closed_by = $3, closed_at = now()", [input.outcome, input.actorId]);
          await appendAuditEvent(db, {
            key,
            type: 'incident.closed',
            systemId: input.systemId,
            taskId: input.taskId,
            actorId: input.actorId,
            data: { incidentId: input.incidentId, outcome: input.outcome, resumed: input.resumed, reviewWorkflowId: input.reviewWorkflowId },
          });
        }),
      );
    },

    /** The incident's process was cancelled (its system is retiring); the timeline says so through the process. */
    async recordIncidentCancelled(input: IncidentRef) {
      await pool.query("UPDATE incidents SET stage = 'cancelled' WHERE id = $1 AND stage <> 'closed'", [input.incidentId]);
    },
  };
}
