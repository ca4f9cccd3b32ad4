import { ApplicationFailure, asyncLocalStorage } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Transporter } from 'nodemailer';
import { rememberedResult, rememberResult, type LocalActivityRun } from '../db/localActivityResults';
import { sha256Hex } from '../db/hashing';
import type { Pool } from '../db/pool';
import type { Ed25519Signer } from '../domain/ed25519';
import { activityFailures, RecordNotFoundError } from '../domain/failures';
import { canonicalJson, type Policy } from '../domain/policy';
import { createAssessmentActivities } from './assessment';
import { createAuditCheckpointActivities } from './auditCheckpoint';
import { createDigestActivities } from './digest';
import { createIncidentActivities } from './incident';
import { createIntakeActivities } from './intake';
import { createLifecycleActivities } from './lifecycle';
import { createMaintenanceActivities } from './maintenance';
import { createNotificationActivities } from './notifications';
import { createRetirementActivities } from './retirement';
import { createReviewActivities } from './review';
import { createRiskTreatmentActivities } from './riskTreatment';
import { createTaskActivities } from './tasks';

export interface ActivityDeps {
  pool: Pool;
  mailer: Transporter;
  mailFrom: string;
  publicBaseUrl: string;
  /** For what activities do to other workflows: schedules, and cancelling a retired system's processes. */
  temporal: Client;
  taskQueue: string;
  /** The policy in force now, for processes a schedule starts without one. */
  currentPolicy: () => Policy;
  /** The background verifier of the audit chain: its database login, its signing key, and how often it walks from genesis again. */
  auditCheckpoints: { pool: Pool; signer: Ed25519Signer; walkFromGenesisEveryMs: number };
}

/**
 * What fails the same way on every retry fails the activity for good, visibly, instead of retrying for
 * ever: a record that is not there, and a data exception (SQLSTATE class 22: invalid text, a value out
 * of range), which the door checks should have refused; this is the defence behind them.
 */
function failingForGoodWhereNoRetryHelps<T extends ActivityFunctions>(activities: T): T {
  const guarded = Object.entries(activities).map(([name, activity]) => [
    name,
    async (...args: unknown[]) => {
      try {
        return await activity(...args);
      } catch (error) {
        if (error instanceof RecordNotFoundError) {
          throw ApplicationFailure.create({ type: activityFailures.notFound, message: error.message, nonRetryable: true });
        }
        const code = (error as { code?: unknown })?.code;
        if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) {
          throw ApplicationFailure.create({
            type: activityFailures.unstorableData,
            // Not PostgreSQL's own text: it can quote the refused value, and this message reaches the audit trail.
            message: `PostgreSQL refused the data of ${name} (SQLSTATE ${code})`,
            nonRetryable: true,
          });
        }
        throw error;
      }
    },
  ]);
  return Object.fromEntries(guarded) as T;
}

type ActivityFunctions = Record<string, (...args: any[]) => Promise<unknown>>;

/** The run and place of the local activity running now; none for a scheduled one, or a call from outside any activity. */
function localActivityRun(args: unknown[]): LocalActivityRun | undefined {
  const info = asyncLocalStorage.getStore()?.info;
  if (!info?.isLocal || !info.workflowExecution) return undefined;
  return { runId: info.workflowExecution.runId, activitySeq: info.activityId, activityType: info.activityType, argsHash: sha256Hex(canonicalJson(args)) };
}

/**
 * A local activity's completion is recorded only with the workflow task that ran it. When that task
 * is lost (its worker died before completing it) the workflow runs the activity again, after the
 * activities that followed it in the task may have run too: a state move run again after the next
 * move would be refused, a count would come out different. So a local activity's first answer is kept
 * by its place in the run, and a rerun gives that answer back without running again.
 *
 * The answer is kept right after the activity's own transaction commits, before the workflow goes on
 * to the next one: a worker dying between the two loses only the last activity's answer, and that
 * activity run again must find its own effect done. The record-keeping writes see to it: each is keyed
 * by its audit event or guarded by the state it changes (a move to the state a system is in is no move).
 * Two attempts at once (a workflow task timed out on a worker still running it) each run, under the
 * same guards, and answer alike.
 */
function answeringRerunsFromTheFirstRun<T extends ActivityFunctions>(pool: Pool, activities: T): T {
  const answering = Object.entries(activities).map(([name, activity]) => [
    name,
    async (...args: unknown[]) => {
      const run = localActivityRun(args);
      if (!run) return activity(...args);
      const remembered = await rememberedResult(pool, run);
      if (remembered) return remembered.value;
      return rememberResult(pool, run, await activity(...args));
    },
  ]);
  return Object.fromEntries(answering) as T;
}

/** All activities, built from their dependencies by the worker (or by a test with its own). */
export function createActivities(deps: ActivityDeps) {
  const activities = {
    ...createIntakeActivities(deps),
    ...createLifecycleActivities(deps),
    ...createAssessmentActivities(deps),
    ...createReviewActivities(deps),
    ...createRiskTreatmentActivities(deps),
    ...createRetirementActivities(deps),
    ...createIncidentActivities(deps),
    ...createTaskActivities(deps),
    ...createNotificationActivities(deps),
    ...createDigestActivities(deps),
    ...createAuditCheckpointActivities(deps),
    ...createMaintenanceActivities(deps),
  };
  return failingForGoodWhereNoRetryHelps(answeringRerunsFromTheFirstRun(deps.pool, activities));
}

export type Activities = ReturnType<typeof createActivities>;
