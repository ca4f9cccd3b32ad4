import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- re-tiering drives the review schedule itself until it is a use case of its own (issue 11)
import { syncReviewSchedule } from '../../activities/lifecycle';
import { appendAuditEvent } from '../../db/audit';
import { sha256Hex } from '../../db/hashing';
import { inTransaction } from '../../db/pool';
import { reviewability, reviewsOf } from '../../db/reviews';
import { effectiveState, getSystem, lockSystem, pendingDowngrade, proposeDowngrade } from '../../db/systems';
import { oneOf, text } from '../../domain/fields';
import { canonicalJson } from '../../domain/policy';
import { hasAnyRole } from '../../domain/principal';
import { inServiceStates } from '../../domain/lifecycle';
import { riskTiers } from '../../domain/system';
import { processSearchAttributes, scheduleIds, workflowIds, workflowTypes, type PeriodicReviewInput } from '../../workflows/contracts';
import { visibleSystem } from '../access';
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

  /**
   * A governance lead re-tiers a system after onboarding; never their own. A lower tier weakens every
   * control on the system, so it takes effect only when a second governance lead confirms it (the same
   * request from them). Open tasks keep the tier they opened with; the review interval follows at once.
   */
  router.put('/:id/tier', requireRole('governance_lead'), async (req, res) => {
    const id = parseId(req);
    const { tier, reason } = parseBody(retierBody, req);
    const principal = req.principal!;
    const outcome = await inTransaction(deps.pool, async (db) => {
      if (!id || !(await getSystem(db, id))) throw notFound('the AI system');
      const system = await lockSystem(db, id);
      if (system.ownerId === principal.id) throw new AppError(403, 'segregation_of_duties', 'a governance lead does not re-tier an AI system they own');
      if (system.state === 'intake') throw new AppError(409, 'in_triage', 'an intake is tiered by its triage: amend the intake instead');
      const state = effectiveState(system);
      if (['rejected', 'withdrawn', 'retiring', 'retired'].includes(state)) {
        throw new AppError(409, 'not_retierable', `an AI system in state '${state}' is not re-tiered`);
      }
      if (tier === 'prohibited' && inServiceStates.includes(state)) {
        throw new AppError(409, 'prohibited_in_service', 'a prohibited practice is not kept in service: request its retirement instead');
      }
      if (system.riskTier === tier) return { system, applied: true as const };
      const lowered = system.riskTier !== null && riskTiers.indexOf(tier) < riskTiers.indexOf(system.riskTier);
      let proposedBy: string | undefined;
      if (lowered) {
        const proposal = await pendingDowngrade(db, system.id, system.version, tier);
        if (!proposal) {
          await proposeDowngrade(db, {
            systemId: system.id,
            fromTier: system.riskTier!,
            toTier: tier,
            reason,
            proposedBy: principal.id,
            systemVersion: system.version,
          });
          await appendAuditEvent(db, {
            key: `${system.id}:tier_downgrade_proposed:${system.version}:${tier}:${principal.id}`,
            type: 'system.tier_downgrade_proposed',
            systemId: system.id,
            actorId: principal.id,
            data: { from: system.riskTier, to: tier, reason },
          });
          return { system, applied: false as const };
        }
        if (proposal.proposedBy === principal.id) return { system, applied: false as const };
        proposedBy = proposal.proposedBy;
      }
      await db.query('UPDATE ai_systems SET risk_tier = $2, version = version + 1, updated_at = now() WHERE id = $1', [system.id, tier]);
      await db.query('DELETE FROM tier_downgrade_proposals WHERE system_id = $1', [system.id]);
      await appendAuditEvent(db, {
        key: `${system.id}:retiered:${system.version}`,
        type: 'system.retiered',
        systemId: system.id,
        actorId: principal.id,
        data: { from: system.riskTier, to: tier, reason, ...(proposedBy && { proposedBy }) },
      });
      return { system, applied: true as const };
    });
    const changed = outcome.system;
    if (!outcome.applied) {
      res.status(202).json({
        systemId: changed.id,
        tier: changed.riskTier,
        proposedTier: tier,
        status: 'awaiting_confirmation',
        message: 'a lower tier takes effect once another governance lead confirms it',
      });
      return;
    }
    // A retried request after a 503 finds the tier set and brings the schedule along.
    const review = inServiceStates.includes(effectiveState(changed))
      ? await withTemporalDeadline(deps, () => syncReviewSchedule(deps, changed.id, deps.policy))
      : null;
    res.json({ systemId: changed.id, tier, reviewEveryMs: review?.every ?? null });
  });

  return router;
}
