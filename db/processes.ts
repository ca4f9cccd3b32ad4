import { workflowIds } from '../workflows/contracts';
import type { CancellableProcess } from '../domain/lifecycle';
import type { Queryable } from './pool';

export interface ProcessRun {
  process: 'intake' | 'periodic_review' | 'incident' | 'retirement';
  workflowId: string;
  startedAt: string;
}

/** Every process a system has been through, oldest first, by the workflow that ran it. */
export async function processesOf(db: Queryable, system: { id: string; createdAt: string }): Promise<ProcessRun[]> {
  const { rows } = await db.query(
    `SELECT 'periodic_review' AS process, workflow_id, opened_at AS started_at FROM reviews WHERE system_id = $1
     UNION ALL SELECT 'incident', workflow_id, reported_at FROM incidents WHERE system_id = $1
     UNION ALL SELECT 'retirement', workflow_id, requested_at FROM retirements WHERE system_id = $1
     ORDER BY started_at`,
    [system.id],
  );
  return [
    { process: 'intake', workflowId: workflowIds.intake(system.id), startedAt: system.createdAt },
    ...rows.map((row) => ({ process: row.process, workflowId: row.workflow_id, startedAt: row.started_at.toISOString() })),
  ];
}

/**
 * One rule for every kind: a cancelled process's record closes as cancelled, keeping whatever was
 * already decided in it (an attestation, a stage's record). Records that had closed stay as they were.
 */
export async function closeCancelledProcessRecord(db: Queryable, run: { systemId: string; process: CancellableProcess; workflowId: string }) {
  switch (run.process) {
    case 'periodic_review':
      await db.query("UPDATE reviews SET status = 'cancelled', closed_at = now() WHERE workflow_id = $1 AND status = 'open'", [run.workflowId]);
      return;
    case 'incident':
      await db.query("UPDATE incidents SET stage = 'cancelled' WHERE workflow_id = $1 AND stage NOT IN ('closed', 'cancelled')", [run.workflowId]);
      return;
    case 'impact_assessment':
      await db.query("UPDATE impact_assessments SET outcome = 'cancelled', decided_at = now() WHERE system_id = $1 AND outcome IS NULL", [run.systemId]);
      return;
    case 'risk_treatment':
      await db.query("UPDATE risk_registers SET outcome = 'cancelled', decided_at = now() WHERE system_id = $1 AND outcome IS NULL", [run.systemId]);
      return;
    case 'intake':
    case 'risk_acceptance':
      // The intake's record is the system, which the retirement moves; an acceptance stays what it was until it expires.
      return;
  }
}
