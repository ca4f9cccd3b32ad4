import {
  CancellationScope,
  condition,
  currentUpdateInfo,
  isCancellation,
  ParentClosePolicy,
  patched,
  setHandler,
  sleep,
  startChild,
} from '@temporalio/workflow';
import type { z } from 'zod';
import { activityFailures } from '../domain/failures';
import {
  regulatoryReportDue as regulatoryReportDueOf,
  type IncidentContainment,
  type IncidentTaskStage,
  type Seriousness,
  type incidentResolutionSchema,
  type regulatoryReportSchema,
} from '../domain/incident';
import type { TaskPolicy } from '../domain/policy';
import type { RiskTier } from '../domain/system';
import type { TaskKind } from '../domain/task';
import type { Activities } from '../activities';
import { raisedByActivity, recordKeepingActivities } from './activityOptions';
import { noResultUnlessCancelled, recordingEnd } from './cancellation';
import {
  assessSeriousnessUpdate,
  decisionRefusals,
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
import { commandRefusal, refuseUnsignedCommand } from './signedCommands';
import { startHumanTask } from './startHumanTask';

const records = recordKeepingActivities();

/** Incidents reported before the Art. 73 clocks ran one deadline from the report, whatever the incident was. */
const art73Clocks = 'art-73-clocks';

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
const refusedTransition = (error: unknown) => raisedByActivity(error, activityFailures.illegalTransition)?.message;

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
        await CancellationScope.nonCancellable(() => records().recordIncidentCancelled({ incidentId: input.incidentId, systemId: input.systemId }));
      }
      throw error;
    }
  });
}

/** What every stage of one incident shares: the report as recorded, and how a stage runs until decided. */
class IncidentRun {
  readonly tier: RiskTier;
  serious: boolean;
  /** The report to the authority, run alongside the stages once the incident is serious; closure waits for it. */
  regulatoryReport: Promise<void> = Promise.resolve();
  /** The closure is open: what it decides on no longer changes. */
  closing = false;
  /** Seriousness assessments accepted and still being recorded: the closure waits for the report they may start. */
  assessing = 0;

  constructor(
    readonly input: IncidentInput,
    readonly reported: Awaited<ReturnType<Activities['recordIncidentReported']>>,
    public regulatoryReportDue: string | null,
    /** When the incident was reported here: its clock runs from then where awareness was not given. */
    readonly reportedAt: number,
  ) {
    this.tier = reported.tier ?? input.policy.triage.defaultTier;
    this.serious = input.report.serious;
  }

  startReportToAuthority(): void {
    this.regulatoryReport = this.reportToAuthority();
    // Settled later, when closure waits for it; until then a failure must not count as unhandled.
    this.regulatoryReport.catch(() => undefined);
  }

  /** The report's deadline under `seriousness`, never later than the one already running. */
  dueOnceSerious(seriousness: Seriousness): string {
    const { report, policy } = this.input;
    const due = regulatoryReportDueOf({ ...report, serious: true, seriousness }, policy.incident.seriousReportDeadlines, this.reportedAt)!;
    return this.regulatoryReportDue && Date.parse(this.regulatoryReportDue) < Date.parse(due) ? this.regulatoryReportDue : due;
  }

  /** A stage of the owner's, with its severity's SLA on every tier and its severity's ladder. */
  stagePolicy(kind: IncidentTaskKind, sla: number): TaskPolicy {
    const { policy, report } = this.input;
    return {
      ...policy.tasks[kind],
      slaByTier: { low: sla, medium: sla, high: sla, prohibited: sla },
      escalationLadder: policy.incident.ladderBySeverity[report.severity],
    };
  }

  /** Runs a stage's task until someone decides it: a task that lapses reopens for the governance leads. */
  async untilDecided(task: Pick<HumanTaskInput, 'requesterId' | 'policy' | 'subject'> & { kind: IncidentTaskKind }): Promise<Decided> {
    const { incidentId, systemId, policy } = this.input;
    const common = { systemId, systemOwnerId: this.reported.ownerId, tier: this.tier, policyVersion: policy.version, commandKey: policy.commandKey };
    for (let taskPolicy = task.policy; ; taskPolicy = forGovernanceLeads(task.policy)) {
      const started = await startHumanTask({ ...common, ...task, policy: taskPolicy });
      // A task nobody could be seated on (e.g. the only lead reported the incident) fails: try again after its SLA.
      const result = await started.handle.result().catch(noResultUnlessCancelled);
      if (result?.status === 'decided') return result;
      await records().recordIncidentStageReopened({
        incidentId,
        systemId,
        stage: stageOfKind[task.kind],
        lapsedTaskId: started.taskId,
        status: result?.status ?? 'nobody_seated',
      });
      if (!result) await sleep(taskPolicy.slaByTier[this.tier]);
    }
  }

  /** The platform asks for the owner's stages, so an owner who reported the incident still acts on it. */
  ownerStage(kind: IncidentTaskKind, sla: number): Promise<Decided> {
    return this.untilDecided({ kind, requesterId: platformPrincipalId, policy: this.stagePolicy(kind, sla), subject: this.reported.subject });
  }

  async reportToAuthority(): Promise<void> {
    const { incidentId, systemId, policy } = this.input;
    // The task is due when the report is: from awareness, which may have come days before the report here.
    const within = patched(art73Clocks) ? Math.max(Date.parse(this.regulatoryReportDue!) - Date.now(), 1_000) : policy.incident.seriousReportWithin;
    const decided = await this.untilDecided({
      kind: 'incident_regulatory_report',
      requesterId: platformPrincipalId,
      policy: { ...policy.tasks.incident_regulatory_report, slaByTier: { low: within, medium: within, high: within, prohibited: within } },
      subject: this.reported.subject,
    });
    const reportMade = decided.submission as z.output<typeof regulatoryReportSchema>;
    const due = this.regulatoryReportDue!;
    const onTime = Date.parse(reportMade.reportedAt) <= Date.parse(due);
    await records().recordRegulatoryReport({
      incidentId,
      systemId,
      taskId: decided.taskId,
      actorId: decided.votes[0].actorId,
      report: reportMade,
      due,
      onTime,
    });
  }
}

async function runIncident(input: IncidentInput): Promise<IncidentOutcome> {
  const { incidentId, systemId, reporterId, report, policy } = input;
  const slas = policy.incident.slaBySeverity[report.severity];
  const reportedAt = Date.now();
  const regulatoryReportDue = patched(art73Clocks)
    ? regulatoryReportDueOf(report, policy.incident.seriousReportDeadlines, reportedAt)
    : report.serious
      ? new Date(Date.now() + policy.incident.seriousReportWithin).toISOString()
      : null;
  const reported = await records().recordIncidentReported({
    incidentId,
    systemId,
    workflowId: workflowIds.incident(incidentId),
    reporterId,
    report,
    regulatoryReportDue,
  });
  const run = new IncidentRun(input, reported, regulatoryReportDue, reportedAt);
  handleSeriousnessAssessment(run);
  if (report.serious) run.startReportToAuthority();

  const acknowledged = await run.ownerStage('incident_acknowledgement', slas.acknowledge);
  await records().recordIncidentAcknowledged({ incidentId, systemId, taskId: acknowledged.taskId, actorId: acknowledged.votes[0].actorId });

  // Written out here, not in a helper: the resolution task must start right after this record, as the
  // recorded histories hold, whatever the regulatory report does in the same activation.
  const contained = await run.ownerStage('incident_containment', slas.contain);
  const containment = contained.submission as IncidentContainment;
  const containedBy = contained.votes[0].actorId;
  let suspendedByThisIncident = false;
  let suspensionRefused: string | null = null;
  if (containment.suspendSystem) {
    try {
      const suspension = await records().suspendSystem({
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
  await records().recordIncidentContained({
    incidentId,
    systemId,
    taskId: contained.taskId,
    actorId: containedBy,
    containment,
    suspended: suspendedByThisIncident,
    suspensionRefused,
  });
  return resolveAndClose(run, suspendedByThisIncident);
}

/** Rounds of resolution and closure, until a governance lead closes it; then the system resumes, or is re-assessed. */
async function resolveAndClose(run: IncidentRun, suspendedByThisIncident: boolean): Promise<IncidentOutcome> {
  const { incidentId, systemId, reporterId, report, policy } = run.input;
  for (let round = 1; ; round++) {
    const resolved = await run.ownerStage('incident_resolution', policy.incident.slaBySeverity[report.severity].resolve);
    const resolution = resolved.submission as z.output<typeof incidentResolutionSchema>;
    const resolutionSubject = await records().recordIncidentResolved({
      incidentId,
      systemId,
      taskId: resolved.taskId,
      actorId: resolved.votes[0].actorId,
      round,
      resolution,
    });

    run.closing = true;
    if (run.assessing > 0) await condition(() => run.assessing === 0);
    await run.regulatoryReport;
    const closure = await run.untilDecided({
      kind: 'incident_closure',
      requesterId: reporterId,
      policy: policy.tasks.incident_closure,
      subject: resolutionSubject,
    });
    const closedBy = closure.votes[0].actorId;
    if (closure.choice === 'request_changes') {
      run.closing = false;
      await records().recordIncidentClosureChangesRequested({ incidentId, systemId, taskId: closure.taskId, actorId: closedBy, round });
      continue;
    }

    // Another hold (a second incident) may keep the system suspended after this one lets go.
    const resumed = suspendedByThisIncident
      ? (await records().resumeSystem({ systemId, reason: `incident ${incidentId} closed`, eventKey: `incident:${incidentId}:resumed`, actorId: closedBy }))
          .state !== 'suspended'
      : false;
    const reassess = closure.choice === 'close_and_reassess';
    const reviewWorkflowId = reassess ? workflowIds.review(systemId, `incident-${incidentId}`) : null;
    if (reviewWorkflowId) {
      await startChild(workflowTypes.periodicReview, {
        workflowId: reviewWorkflowId,
        args: [{ systemId, reason: 'incident', requesterId: closedBy, policy } satisfies PeriodicReviewInput],
        // The re-assessment outlives the incident that asked for it.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: processSearchAttributes(systemId, 'periodic_review', { tier: run.tier }),
      });
    }
    const outcome = reassess ? 'closed_reassessing' : 'closed';
    await records().recordIncidentClosed({ incidentId, systemId, taskId: closure.taskId, actorId: closedBy, outcome, resumed, reviewWorkflowId });
    return { incidentId, outcome, suspended: suspendedByThisIncident };
  }
}

/**
 * Art. 3(49), Art. 73(2): a governance lead decides at any stage before closure that the incident is
 * serious, which starts the report to the authority on the clock of its kind from awareness, or that
 * a causal link is established, which makes the report due at once (`onceCausalLinkEstablished`).
 */
function handleSeriousnessAssessment(run: IncidentRun): void {
  const { incidentId, systemId, policy } = run.input;
  setHandler(
    assessSeriousnessUpdate,
    async ({ actorId, seriousness }) => {
      const becameSerious = !run.serious;
      run.serious = true;
      run.assessing += 1;
      const due = run.dueOnceSerious(seriousness);
      try {
        await records().recordIncidentSeriousness({ incidentId, systemId, actorId, seriousness, regulatoryReportDue: due, updateId: currentUpdateInfo()!.id });
      } finally {
        run.assessing -= 1;
      }
      run.regulatoryReportDue = due;
      if (becameSerious) run.startReportToAuthority();
      return { incidentId, regulatoryReportDue: due };
    },
    {
      validator: (request) => {
        refuseUnsignedCommand(policy.commandKey, 'assessSeriousness', request);
        if (run.closing) throw commandRefusal(decisionRefusals.taskClosed, 'the incident is being closed: send its closure back to decide on its seriousness');
        if (run.serious && !request.seriousness.causalLinkEstablishedAt) {
          throw commandRefusal(decisionRefusals.alreadySerious, 'the incident is serious already: a new assessment establishes a causal link');
        }
      },
    },
  );
}
