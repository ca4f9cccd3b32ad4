import { executeChild } from '@temporalio/workflow';
import type { LifecycleState } from '../domain/lifecycle';
import type { Policy } from '../domain/policy';
import type { RiskTier } from '../domain/system';
import { processSearchAttributes, workflowIds, type ImpactAssessmentInput } from './contracts';
import { impactAssessmentWorkflow } from './impactAssessment';
import { riskTreatmentWorkflow } from './riskTreatment';

export type AssessAndTreatResult =
  { result: 'treated'; reason: string } | { result: 'rejected' | 'expired'; stage: 'assessment' | 'risk_treatment'; reason: string };

/**
 * The impact assessment and then the risk treatment sign-off of a system in state `assessment`, each
 * when the policy requires it for the tier; onboarding and re-assessment alike. Moves the system to
 * `risk_treatment` in between; the caller decides what the result means for the system.
 */
export async function assessAndTreat(params: {
  systemId: string;
  ownerId: string;
  requesterId: string;
  tier: RiskTier;
  policy: Policy;
  firstVersions?: { assessment: number; plan: number };
  move: (state: LifecycleState, reason: string) => Promise<void>;
}): Promise<AssessAndTreatResult> {
  const { systemId, ownerId, requesterId, tier, policy, firstVersions = { assessment: 1, plan: 1 } } = params;
  const child = (process: string, workflowId: string, firstVersion: number) => ({
    workflowId,
    args: [{ systemId, ownerId, requesterId, tier, policy, ...(firstVersion > 1 ? { firstVersion } : {}) }] as [ImpactAssessmentInput],
    typedSearchAttributes: processSearchAttributes(systemId, process, { tier }),
  });

  let assessedBecause = `the ${tier} tier needs no impact assessment under this policy`;
  if (policy.assessment.requiredForTiers.includes(tier)) {
    const assessed = await executeChild(
      impactAssessmentWorkflow,
      child('impact_assessment', workflowIds.assessment(systemId, firstVersions.assessment), firstVersions.assessment),
    );
    if (assessed.outcome === 'rejected') return { result: 'rejected', stage: 'assessment', reason: `impact assessment version ${assessed.version} rejected` };
    if (assessed.outcome === 'expired') return { result: 'expired', stage: 'assessment', reason: 'the impact assessment was not completed in time' };
    assessedBecause = `impact assessment version ${assessed.version} approved; impact level ${assessed.impactLevel}`;
  }

  await params.move('risk_treatment', assessedBecause);
  if (!policy.riskTreatment.requiredForTiers.includes(tier)) {
    return { result: 'treated', reason: `the ${tier} tier needs no risk treatment sign-off under this policy` };
  }
  const treated = await executeChild(
    riskTreatmentWorkflow,
    child('risk_treatment', workflowIds.riskTreatment(systemId, firstVersions.plan), firstVersions.plan),
  );
  if (treated.outcome === 'rejected') return { result: 'rejected', stage: 'risk_treatment', reason: `risk treatment plan version ${treated.version} rejected` };
  if (treated.outcome === 'expired') return { result: 'expired', stage: 'risk_treatment', reason: 'the risk treatment plan was not completed in time' };
  return { result: 'treated', reason: `risk treatment plan version ${treated.version} signed off; residual risk ${treated.residualRisk}` };
}
