import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { sha256Hex } from '../../db/hashing';
import { reviewability, reviewsOf } from '../../db/reviews';
import { oneOf, text } from '../../domain/fields';
import { canonicalJson } from '../../domain/policy';
import { hasAnyRole } from '../../domain/principal';
import { riskTiers } from '../../domain/system';
import { processSearchAttributes, scheduleIds, workflowIds, workflowTypes, type PeriodicReviewInput } from '../../workflows/contracts';
import { visibleSystem } from '../access';
import { retierSystem } from '../commands/retierSystem';
import { requireRole } from '../auth';
import { temporalUiLink, withTemporalDeadline, type ApiDeps } from '../deps';
import { AppError, forbidden, notFound } from '../errors';
import { startProcessOnce } from '../processes';
import { idempotencyKey, parseBody, parseId } from '../validate';

export const requestReviewBody = z.strictObject({});
export const retierBody = z.strictObject({ tier: oneOf(riskTiers), reason: text(2000) });

const unlessNotFound = (error: unknown) => {
  if (!(error instanceof WorkflowNotFoundError)) throw error;
  return undefined;
};

/** Periodic reviews of a system: asked for now, listed with the schedule, and the re-tiering that sets the interval. */
export function systemReviewRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.post('/:id/reviews', async (req, res) => {
    parseBody(requestReviewBody, req);
    const principal = req.principal!;
    const system = await visibleSystem(deps.pool, req);
    if (system.ownerId !== principal.id && !hasAnyRole(principal, 'governance_lead')) {
      throw forbidden('only the system owner or a governance lead can ask for a review');
    }
    const key = idempotencyKey(req);
    const reviewKey = sha256Hex(key ? `${principal.id}\n${key}` : randomUUID()).slice(0, 16);
    const workflowId = workflowIds.review(system.id, reviewKey);
    // A retry of a request that started its review answers as the first did, whatever the review has done since.
    const started = key && (await withTemporalDeadline(deps, () => deps.temporal.workflow.getHandle(workflowId).describe()).catch(unlessNotFound));
    if (started) {
      return res
        .status(202)
        .set('Idempotent-Replayed', 'true')
        .json({ systemId: system.id, workflowId, temporalUi: temporalUiLink(deps, workflowId) });
    }
    const now = await reviewability(deps.pool, system);
    if (!now.reviewable && now.openReview) throw new AppError(409, 'review_open', `review ${now.openReview} is already open`);
    if (!now.reviewable) throw new AppError(409, 'not_reviewable', `an AI system in state '${system.state}' is not reviewed`);

    const input: PeriodicReviewInput = { systemId: system.id, reason: 'requested', requesterId: principal.id, policy: deps.policy };
    const { replayed } = await startProcessOnce(deps, {
      workflowType: workflowTypes.periodicReview,
      workflowId,
      args: [input],
      requestFingerprint: sha256Hex(canonicalJson({ systemId: system.id, requesterId: principal.id })),
      searchAttributes: processSearchAttributes(system.id, 'periodic_review', { tier: system.riskTier }),
      what: 'review request',
    });
    res
      .status(202)
      .set('Idempotent-Replayed', String(replayed))
      .json({ systemId: system.id, workflowId, temporalUi: temporalUiLink(deps, workflowId) });
  });

  router.get('/:id/reviews', async (req, res) => {
    const system = await visibleSystem(deps.pool, req);
    let schedule = null;
    try {
      const described = await withTemporalDeadline(deps, () => deps.temporal.schedule.getHandle(scheduleIds.review(system.id)).describe());
      schedule = {
        id: described.scheduleId,
        everyMs: Number(described.spec.intervals?.[0]?.every),
        paused: described.state.paused,
        note: described.state.note ?? null,
        nextRunAt: described.info.nextActionTimes[0]?.toISOString() ?? null,
      };
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
    res.json({
      systemId: system.id,
      nextReviewDue: system.nextReviewDue,
      lastReviewedAt: system.lastReviewedAt,
      schedule,
      reviews: await reviewsOf(deps.pool, system.id),
    });
  });

  /** A governance lead re-tiers a system (see retierSystem): 200 when it takes effect, 202 while a lower tier awaits a second lead. */
  router.put('/:id/tier', requireRole('governance_lead'), async (req, res) => {
    const id = parseId(req);
    const { tier, reason } = parseBody(retierBody, req);
    if (!id) throw notFound('the AI system');
    const retiering = await retierSystem(deps, req.principal!, { systemId: id, tier, reason });
    if (retiering.status === 'awaiting_confirmation') {
      const { systemId, tier: current, proposedTier, status } = retiering;
      res.status(202).json({ systemId, tier: current, proposedTier, status, message: 'a lower tier takes effect once another governance lead confirms it' });
      return;
    }
    res.json({ systemId: retiering.systemId, tier: retiering.tier, reviewEveryMs: retiering.reviewEveryMs });
  });

  return router;
}
