import { workflowIds } from '../workflows/contracts';
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
