import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { latestAiActClassification } from '../../db/aiActClassifications';
import { impactAssessmentsOf } from '../../db/assessments';
import { auditTrail } from '../../db/audit';
import { processesOf } from '../../db/processes';
import { effectiveState, getSystem, listSystems } from '../../db/systems';
import { withdrawableStates } from '../../domain/lifecycle';
import { listTasks } from '../../db/tasks';
import { text } from '../../domain/fields';
import { hasAnyRole } from '../../domain/principal';
import { intakeRequestSchema } from '../../domain/system';
import { decisionRefusals } from '../../workflows/contracts';
import { visibleSystem } from '../access';
import { oversightRoles, requireRole } from '../auth';
import { temporalUiLink, type ApiDeps } from '../deps';
import { amendTaskSubject, withdrawIntake } from '../decisions';
import { fileIntake } from '../intake';
import { AppError, forbidden, notFound, refusalError } from '../errors';
import { idempotencyKey, parseBody, parseId, parseQuery } from '../validate';

export const systemListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) });
export const withdrawIntakeBody = z.strictObject({ reason: text(2000).optional() });

export function systemRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.post('/', requireRole('system_owner'), async (req, res) => {
    const key = idempotencyKey(req);
    const intake = parseBody(intakeRequestSchema, req);
    const { systemId, workflowId, replayed } = await fileIntake(deps, req.principal!, intake, key);
    res
      .status(202)
      .location(`/api/v1/systems/${systemId}`)
      .set('Idempotent-Replayed', String(replayed))
      .json({ systemId, workflowId, state: 'intake', links: { self: `/api/v1/systems/${systemId}` } });
  });

  /** The owner amends the intake while triage is open; the triage approvals restart on the new version. */
  router.put('/:id/intake', requireRole('system_owner'), async (req, res) => {
    const id = parseId(req);
    const intake = parseBody(intakeRequestSchema, req);
    const system = id && (await getSystem(deps.pool, id));
    if (!system) throw notFound('the AI system');
    if (system.ownerId !== req.principal!.id) throw forbidden('only the system owner can amend the intake');
    const [triage] = (await listTasks(deps.pool, { systemId: system.id, status: 'open', limit: 10 })).filter((task) => task.kind === 'intake_triage');
    if (!triage) throw refusalError(decisionRefusals.taskClosed, 'the intake can be amended only while triage is open');
    const updateId = `api:amend:${req.principal!.id}:${idempotencyKey(req) ?? randomUUID()}`;
    const subject = await amendTaskSubject(deps, triage, { actorId: req.principal!.id, submission: intake }, updateId);
    const amended = await getSystem(deps.pool, system.id);
    res.json({ systemId: system.id, intakeVersion: subject.version, intakeHash: subject.hash, tier: amended?.riskTier });
  });

  /**
   * The owner withdraws a system until it is in service: from intake, impact assessment or risk
   * treatment. Its open task closes as withdrawn, its assessment and sign-off as cancelled.
   */
  router.post('/:id/withdraw', requireRole('system_owner'), async (req, res) => {
    const id = parseId(req);
    const { reason } = parseBody(withdrawIntakeBody, req);
    const system = id && (await getSystem(deps.pool, id));
    if (!system) throw notFound('the AI system');
    if (system.ownerId !== req.principal!.id) throw forbidden('only the system owner can withdraw the intake');
    // A re-assessment moves a system back to `assessment`, but one that has been in service was reviewed.
    if (!withdrawableStates.includes(effectiveState(system)) || system.lastReviewedAt) {
      throw new AppError(
        409,
        'not_withdrawable',
        `an AI system in state '${system.state}' cannot be withdrawn; a system that has been in service leaves by retirement`,
      );
    }
    const updateId = `api:withdraw-intake:${req.principal!.id}:${idempotencyKey(req) ?? randomUUID()}`;
    res.json(await withdrawIntake(deps, system.id, { actorId: req.principal!.id, reason }, updateId));
  });

  router.get('/', async (req, res) => {
    const query = parseQuery(systemListQuery, req);
    const principal = req.principal!;
    const ownerId = hasAnyRole(principal, ...oversightRoles) ? undefined : principal.id;
    res.json({ systems: await listSystems(deps.pool, { ownerId, limit: query.limit }) });
  });

  router.get('/:id/assessments', async (req, res) => {
    const system = await visibleSystem(deps.pool, req);
    res.json({ systemId: system.id, impactLevel: system.impactLevel, assessments: await impactAssessmentsOf(deps.pool, system.id) });
  });

  router.get('/:id', async (req, res) => {
    const system = await visibleSystem(deps.pool, req);
    // Open tasks are asked for on their own: a long-lived system's 200 latest tasks may all be closed ones.
    const [openTasks, tasks, history, processes, aiActClassification] = await Promise.all([
      listTasks(deps.pool, { systemId: system.id, status: 'open', limit: 200 }),
      listTasks(deps.pool, { systemId: system.id, limit: 200 }),
      auditTrail(deps.pool, { systemId: system.id }),
      processesOf(deps.pool, system),
      latestAiActClassification(deps.pool, system.id),
    ]);
    res.json({
      system,
      aiActClassification: aiActClassification ?? null,
      openTasks,
      tasks,
      history,
      processes: processes.map((run) => ({ ...run, temporalUi: temporalUiLink(deps, run.workflowId) })),
    });
  });

  return router;
}
