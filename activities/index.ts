import type { Client } from '@temporalio/client';
import type { Transporter } from 'nodemailer';
import type { Pool } from '../db/pool';
import type { Policy } from '../domain/policy';
import { createAssessmentActivities } from './assessment';
import { createDigestActivities } from './digest';
import { createIncidentActivities } from './incident';
import { createIntakeActivities } from './intake';
import { createLifecycleActivities } from './lifecycle';
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
}

/** All activities, built from their dependencies by the worker (or by a test with its own). */
export function createActivities(deps: ActivityDeps) {
  return {
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
  };
}

export type Activities = ReturnType<typeof createActivities>;
