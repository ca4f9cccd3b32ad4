import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  sleep,
  startChild,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { IncidentContainment, IncidentTaskStage, incidentResolutionSchema, regulatoryReportSchema } from '../domain/incident';
import type { TaskPolicy } from '../domain/policy';
import type { TaskKind } from '../domain/task';
import type { Activities } from '../activities';
import { noResultUnlessCancelled, recordingEnd } from './cancellation';
import {
  platformPrincipalId,
  processSearchAttributes,
  workflowIds,
  workflowTypes,
  type HumanTaskInput,
  type HumanTaskResult,
  type IncidentInput,
  type IncidentOutcome,
  type PeriodicReviewInput,
} from './contracts';
import { startHumanTask } from './startHumanTask';

const {
  recordIncidentReported,
  recordIncidentAcknowledged,
  recordIncidentContained,
  recordIncidentResolved,
  recordRegulatoryReport,
  recordIncidentClosureChangesRequested,
  recordIncidentStageReopened,
  recordIncidentClosed,
  recordIncidentCancelled,
  suspendSystem,
  resumeSystem,
} = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // Every activity is safe to repeat, and an incident must outlast a database outage: retry until it works.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

type Decided = Extract<HumanTaskResult, { status: 'decided' }>;

const stageOfKind = {
  incident_acknowledgement: 'acknowledgement',
  incident_containment: 'containment',
  incident_resolution: 'resolution',
  incident_closure: 'closure',
  incident_regulatory_report: 'regulatory_report',
} as const satisfies Partial<Record<TaskKind, IncidentTaskStage>>;
type IncidentTaskKind = keyof typeof stageOfKind;

/** The same work, handed to the governance leads: the last step of every escalation. */
const forGovernanceLeads = (policy: TaskPolicy): TaskPolicy => ({ ...policy, steps: [{ role: 'governance_lead', rule: { type: 'any' } }], stepsByTier: {} });

/** A transition the lifecycle refuses, e.g. suspending a system still in intake. */
const refusedTransition = (error: unknown) =>
  error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === 'IllegalTransition' ? error.cause.message : undefined;

/**
 * Incident escalation: the owner acknowledges, contains and resolves the incident, each stage within
 * the SLA of its severity and escalating along the severity's ladder; a governance lead approves the
 * closure or sends the resolution back. Containment may suspend the system, which the closure resumes.
 * A serious incident runs the regulatory report alongside from the start; closure waits for it.
 */
export async function incidentWorkflow(input: IncidentInput): Promise<IncidentOutcome> {
  return recordingEnd(input.systemId, 'incident', async () => {
    try {
      return await runIncident(input);
    } catch (error) {
      if (isCancellation(error)) {
        await CancellationScope.nonCancellable(() => recordIncidentCancelled({ incidentId: input.incidentId, systemId: input.systemId }));
      }
      throw error;
    }
  });
}

async function runIncident(input: IncidentInput): Promise<IncidentOutcome> {
  const { incidentId, systemId, reporterId, report, policy } = input;
  const slas = policy.incident.slaBySeverity[report.severity];
  const regulatoryReportDue = report.serious ? new Date(Date.now() + policy.incident.seriousReportWithin).toISOString() : null;
  const reported = await recordIncidentReported({
    incidentId,
    systemId,
    workflowId: workflowIds.incident(incidentId),
    reporterId,
    report,
    regulatoryReportDue,
  });
  const tier = reported.tier ?? policy.triage.defaultTier;
  const common = { systemId, systemOwnerId: reported.ownerId, tier, policyVersion: policy.version, commandKey: policy.commandKey };

  /** A stage of the owner's, with its severity's SLA on every tier and its severity's ladder. */
  const stagePolicy = (kind: IncidentTaskKind, sla: number): TaskPolicy => ({
    ...policy.tasks[kind],
    slaByTier: { low: sla, medium: sla, high: sla, prohibited: sla },
    escalationLadder: policy.incident.ladderBySeverity[report.severity],
  });

  /** Runs a stage's task until someone decides it: a task that lapses reopens for the governance leads. */
  async function untilDecided(task: Pick<HumanTaskInput, 'requesterId' | 'policy' | 'subject'> & { kind: IncidentTaskKind }): Promise<Decided> {
    for (let taskPolicy = task.policy; ; taskPolicy = forGovernanceLeads(task.policy)) {
      const started = await startHumanTask({ ...common, ...task, policy: taskPolicy });
      // A task nobody could be seated on (e.g. the only lead reported the incident) fails: try again after its SLA.
      const result = await started.handle.result().catch(noResultUnlessCancelled);
      if (result?.status === 'decided') return result;
      await recordIncidentStageReopened({ incidentId, systemId, stage: stageOfKind[task.kind], lapsedTaskId: started.taskId, status: result?.status ?? 'nobody_seated' });
      if (!result) await sleep(taskPolicy.slaByTier[tier]);
    }
  }

  const regulatoryReport = report.serious ? reportToAuthority() : Promise.resolve();
  // Settled later, when closure waits for it; until then a failure must not count as unhandled.
  regulatoryReport.catch(() => undefined);

  async function reportToAuthority() {
    const within = policy.incident.seriousReportWithin;
    const decided = await untilDecided({
      kind: 'incident_regulatory_report',
      requesterId: platformPrincipalId,
      policy: { ...policy.tasks.incident_regulatory_report, slaByTier: { low: within, medium: within, high: within, prohibited: within } },
      subject: reported.subject,
    });
    const reportMade = decided.submission as z.output<typeof regulatoryReportSchema>;
    const due = regulatoryReportDue!;
    const onTime = Date.parse(reportMade.reportedAt) <= Date.parse(due);
    await recordRegulatoryReport({ incidentId, systemId, taskId: decided.taskId, actorId: decided.votes[0].actorId, report: reportMade, due, onTime });
  }

  // The platform asks for the owner's stages, so an owner who reported the incident still acts on it.
  const ownerStage = (kind: IncidentTaskKind, sla: number) =>
    untilDecided({ kind, requesterId: platformPrincipalId, policy: stagePolicy(kind, sla), subject: reported.subject });

  const acknowledged = await ownerStage('incident_acknowledgement', slas.acknowledge);
  await recordIncidentAcknowledged({ incidentId, systemId, taskId: acknowledged.taskId, actorId: acknowledged.votes[0].actorId });

  const contained = await ownerStage('incident_containment', slas.contain);
  const containment = contained.submission as IncidentContainment;
  const containedBy = contained.votes[0].actorId;
  let suspendedByThisIncident = false;
  let suspensionRefused: string | null = null;
  if (containment.suspendSystem) {
    try {
      const suspension = await suspendSystem({
        systemId,
        reason: `contained ${report.severity} incident ${incidentId}`,
        eventKey: `incident:${incidentId}:suspended`,
        actorId: containedBy,
      });
      suspendedByThisIncident = suspension.suspended;
    } catch (error) {
      suspensionRefused = refusedTransition(error) ?? null;
      if (suspensionRefused === null) throw error;
    }
  }
  await recordIncidentContained({
    incidentId,
    systemId,
    taskId: contained.taskId,
    actorId: containedBy,
    containment,
    suspended: suspendedByThisIncident,
    suspensionRefused,
  });

  for (let round = 1; ; round++) {
    const resolved = await ownerStage('incident_resolution', slas.resolve);
    const resolution = resolved.submission as z.output<typeof incidentResolutionSchema>;
    const resolutionSubject = await recordIncidentResolved({ incidentId, systemId, taskId: resolved.taskId, actorId: resolved.votes[0].actorId, round, resolution });

    await regulatoryReport;
    const closure = await untilDecided({ kind: 'incident_closure', requesterId: reporterId, policy: policy.tasks.incident_closure, subject: resolutionSubject });
    const closedBy = closure.votes[0].actorId;
    if (closure.choice === 'request_changes') {
      await recordIncidentClosureChangesRequested({ incidentId, systemId, taskId: closure.taskId, actorId: closedBy, round });
      continue;
    }

    // Another hold (a second incident) may keep the system suspended after this one lets go.
    const resumed = suspendedByThisIncident
      ? (await resumeSystem({ systemId, reason: `incident ${incidentId} closed`, eventKey: `incident:${incidentId}:resumed`, actorId: closedBy })).state !== 'suspended'
      : false;
    const reassess = closure.choice === 'close_and_reassess';
    const reviewWorkflowId = reassess ? workflowIds.review(systemId, `incident-${incidentId}`) : null;
    if (reviewWorkflowId) {
      await startChild(workflowTypes.periodicReview, {
        workflowId: reviewWorkflowId,
        args: [{ systemId, reason: 'incident', requesterId: closedBy, policy } satisfies PeriodicReviewInput],
        // The re-assessment outlives the incident that asked for it.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: processSearchAttributes(systemId, 'periodic_review', { tier }),
      });
    }
    const outcome = reassess ? 'closed_reassessing' : 'closed';
    await recordIncidentClosed({ incidentId, systemId, taskId: closure.taskId, actorId: closedBy, outcome, resumed, reviewWorkflowId });
    return { incidentId, outcome, suspended: suspendedByThisIncident };
  }
}
