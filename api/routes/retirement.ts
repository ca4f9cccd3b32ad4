import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { Router } from 'express';
import { sha256Hex } from '../../db/hashing';
import { latestRetirement } from '../../db/retirements';
import { effectiveState, getSystem, type AiSystem } from '../../db/systems';
import type { LifecycleState } from '../../domain/lifecycle';
import { canonicalJson } from '../../domain/policy';
import { hasAnyRole, type Principal } from '../../domain/principal';
import { retirementRequestSchema, type RetirementRequest } from '../../domain/retirement';
import { processSearchAttributes, workflowIds, workflowTypes, type RetirementInput } from '../../workflows/contracts';
import { visibleSystem } from '../access';
import { temporalUiLink, withTemporalDeadline, type ApiDeps } from '../deps';
import { AppError, forbidden, notFound } from '../errors';
import { idempotencyKey, parseBody, parseId } from '../validate';

/** States a retirement cannot start from: the system's life already ended, or is ending. */
const notRetirable: LifecycleState[] = ['rejected', 'withdrawn', 'retiring', 'retired'];

/**
 * Starts the system's retirement. A retry with the same Idempotency-Key finds the retirement it
 * started, running or ended; the same key with a different request is refused.
 */
async function requestRetirement(
  deps: ApiDeps,
  system: AiSystem,
  requester: Principal,
  request: RetirementRequest,
  key: string | undefined,
): Promise<{ workflowId: string; retirementId: string; replayed: boolean }> {
  const workflowId = workflowIds.retirement(system.id);
  const requestKey = key && sha256Hex(`${requester.id}\n${key}`);
  const requestFingerprint = sha256Hex(canonicalJson(request));
  const handle = deps.temporal.workflow.getHandle(workflowId);
  const sameRequest = (description: { runId: string; memo?: Record<string, unknown> }) => {
    if (description.memo?.requestFingerprint !== requestFingerprint) {
      throw new AppError(409, 'idempotency_key_reused', 'this Idempotency-Key was already used for a different retirement request');
    }
    return { workflowId, retirementId: description.runId, replayed: true };
  };

  if (requestKey) {
    const latest = await withTemporalDeadline(deps, () => handle.describe()).catch((error) => {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    });
    if (latest?.memo?.requestKey === requestKey) return sameRequest(latest);
  }
  const state = effectiveState(system);
  if (notRetirable.includes(state)) throw new AppError(409, 'not_retirable', `an AI system in state '${state}' cannot be retired`);

  const input: RetirementInput = { systemId: system.id, requesterId: requester.id, request, policy: deps.policy };
  try {
    const started = await withTemporalDeadline(deps, () =>
      deps.temporal.workflow.start(workflowTypes.retirement, {
        taskQueue: deps.taskQueue,
        workflowId,
        args: [input],
        // A system whose retirement was rejected may ask again later; one running at a time.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        memo: { requestFingerprint, ...(requestKey && { requestKey }) },
        typedSearchAttributes: processSearchAttributes(system.id, 'retirement', { tier: system.riskTier, state: system.state }),
      }),
    );
    return { workflowId, retirementId: started.firstExecutionRunId, replayed: false };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const running = await withTemporalDeadline(deps, () => handle.describe());
    if (requestKey && running.memo?.requestKey === requestKey) return sameRequest(running);
    throw new AppError(409, 'retirement_running', 'a retirement of this AI system is already running');
  }
}

export function retirementRoutes(deps: ApiDeps): Router {
  const router = Router();

  /** The owner or a governance lead asks to retire the system; the retirement workflow takes it from there. */
  router.post('/:id/retirement', async (req, res) => {
    const key = idempotencyKey(req);
    const request = parseBody(retirementRequestSchema, req);
    const id = parseId(req);
    const system = id && (await getSystem(deps.pool, id));
    if (!system) throw notFound('the AI system');
    const principal = req.principal!;
    if (system.ownerId !== principal.id && !hasAnyRole(principal, 'governance_lead')) {
      throw forbidden('only the system owner or a governance lead can ask to retire it');
    }
    const { workflowId, retirementId, replayed } = await requestRetirement(deps, system, principal, request, key);
    res
      .status(202)
      .location(`/api/v1/systems/${system.id}/retirement`)
      .set('Idempotent-Replayed', String(replayed))
      .json({ systemId: system.id, workflowId, retirementId, links: { self: `/api/v1/systems/${system.id}/retirement` } });
  });

  /** The system's current or last retirement, with every round of its checklist and the evidence recorded. */
  router.get('/:id/retirement', async (req, res) => {
    const system = await visibleSystem(deps.pool, req);
    const retirement = await latestRetirement(deps.pool, system.id);
    if (!retirement) throw notFound('a retirement of this AI system');
    res.json({ systemId: system.id, state: system.state, retirement, temporalUi: temporalUiLink(deps, retirement.workflowId) });
  });

  return router;
}
