import { describe, expect, it } from 'vitest';
import { triageInService, type TriageResult } from '../../domain/triage';

const revisedTo = (tier: TriageResult['tier']): TriageResult => ({ tier, ruleId: `rule-${tier}`, reason: `the rules give ${tier}` });

describe('the triage of a system in service, revised by its owner', () => {
  it.each([
    { current: 'low', revised: 'high', tier: 'high' },
    { current: 'medium', revised: 'prohibited', tier: 'prohibited' },
    { current: 'high', revised: 'high', tier: 'high' },
    { current: null, revised: 'low', tier: 'low' },
  ] as const)('takes the revision’s tier when it is as high or higher ($current → $revised)', ({ current, revised, tier }) => {
    expect(triageInService(current, revisedTo(revised))).toEqual(revisedTo(tier));
  });

  it('keeps the tier a revision would lower, and says so, since lowering it takes two governance leads', () => {
    expect(triageInService('high', revisedTo('low'))).toEqual({
      tier: 'high',
      ruleId: 'rule-low',
      reason: "the rules give low; the revision alone gives 'low', and the tier stays 'high' until two governance leads lower it",
    });
  });
});
