import { executeChild, proxyActivities, upsertSearchAttributes, uuid4, workflowInfo } from '@temporalio/workflow';
import type { LifecycleState } from '../domain/lifecycle';
import type { IntakeRequest } from '../domain/system';
import type { TaskKind } from '../domain/task';
import { triageIntake } from '../domain/triage';
import type { Activities } from '../activities';
import { searchAttributes, workflowIds, type HumanTaskResult, type IntakeOutcome, type IntakeWorkflowInput } from './contracts';
import { humanTaskWorkflow } from './humanTask';

const { registerSystem, recordTriage, reviseIntake, transitionSystem } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

/**
 * Intake: registers the AI system, triages it into a risk tier and waits for a governance lead to
 * accept, reject or ask the owner for changes; changes loop back through triage.
 */
export async function intakeWorkflow(input: IntakeWorkflowInput): Promise<IntakeOutcome> {
  const { systemId, ownerId, policy } = input;
  let intake: IntakeRequest = input.intake;
  await registerSystem({ systemId, ownerId, intake, policyVersion: policy.version });

  for (let round = 1; ; round++) {
    const triage = triageIntake(intake, policy.triage);
    await recordTriage({ systemId, round, triage });
    upsertSearchAttributes([{ key: searchAttributes.tier, value: triage.tier }]);

    const openHumanTask = (kind: TaskKind, requesterId: string): Promise<HumanTaskResult> => {
      const taskId = uuid4();
      return executeChild(humanTaskWorkflow, {
        workflowId: workflowIds.task(taskId),
        args: [{ taskId, systemId, kind, tier: triage.tier, requesterId, policy: policy.tasks[kind], policyVersion: policy.version }],
        typedSearchAttributes: [
          { key: searchAttributes.systemId, value: systemId },
          { key: searchAttributes.process, value: `task:${kind}` },
          { key: searchAttributes.tier, value: triage.tier },
        ],
      });
    };
    const finish = async (state: LifecycleState, reason: string): Promise<IntakeOutcome> => {
      if (state !== 'intake') {
        await transitionSystem({ systemId, to: state, reason, eventKey: `${workflowInfo().workflowId}:round-${round}:${state}` });
      }
      upsertSearchAttributes([{ key: searchAttributes.state, value: state }]);
      return { systemId, state, tier: triage.tier, rounds: round };
    };

    const decision = await openHumanTask('intake_triage', ownerId);
    if (decision.status !== 'decided') {
      return decision.status === 'rejected_on_timeout'
        ? finish('rejected', 'triage was not decided in time; policy rejects on timeout for this tier')
        : finish('intake', 'triage was not decided in time; the intake expired');
    }
    if (decision.choice === 'accept') return finish('assessment', 'triage accepted');
    if (decision.choice === 'reject') return finish('rejected', 'triage rejected');
    if (round > policy.intake.maxRevisionRounds) {
      return finish('rejected', `changes were requested more than ${policy.intake.maxRevisionRounds} times`);
    }

    // The lead who asked for changes requested the revision; the owner makes it.
    const revision = await openHumanTask('intake_revision', decision.votes[0].actorId);
    if (revision.status !== 'decided') return finish('rejected', 'the requested changes were not submitted in time');
    intake = revision.submission as IntakeRequest;
    await reviseIntake({ systemId, round, intake, actorId: ownerId });
  }
}
