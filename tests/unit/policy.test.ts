import { describe, expect, it } from 'vitest';
import { preparePolicy } from '../../api/policy';
import { approvalChainFor, defaultPolicy, durationSchema, escalationRoles, policySchema, type PolicyInput } from '../../domain/policy';

const issuesOf = (input: unknown) => {
  const result = policySchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('a policy', () => {
  it('takes durations as text or milliseconds, and refuses what is not a positive duration', () => {
    expect(durationSchema.parse('48h')).toBe(48 * 3_600_000);
    expect(durationSchema.parse('5s')).toBe(5_000);
    expect(durationSchema.parse(250)).toBe(250);
    for (const bad of ['soon', '-3d', 0, 1.5]) expect(durationSchema.safeParse(bad).success).toBe(false);
  });

  it('is the shipped default as it stands, versioned by its content whatever the order of its keys', () => {
    const shipped = preparePolicy(defaultPolicy);
    expect(shipped.version).toMatch(/^[0-9a-f]{16}$/);
    const reordered = Object.fromEntries(Object.entries(defaultPolicy).reverse()) as PolicyInput;
    expect(preparePolicy(reordered).version).toBe(shipped.version);
    expect(preparePolicy({ ...defaultPolicy, name: 'another name' }).version).not.toBe(shipped.version);
  });

  it('names the field that is wrong, and refuses fields it does not know', () => {
    expect(issuesOf({ ...defaultPolicy, outOfOffice: { maxLength: 'a while' } })).toEqual([
      `outOfOffice.maxLength: 'a while' is not a positive duration such as "48h" or "5s"`,
    ]);
    expect(issuesOf({ ...defaultPolicy, surprise: true })).toEqual([expect.stringContaining('surprise')]);
    expect(
      issuesOf({ ...defaultPolicy, triage: { ...defaultPolicy.triage, rules: [{ id: 'r', description: 'no condition', tier: 'high', when: {} }] } }),
    ).toEqual(['triage.rules.0.when: a rule needs at least one condition']);
  });

  it('gives each tier its approval chain, and the ladder the roles a reassignment may go to', () => {
    const triage = preparePolicy(defaultPolicy).tasks.intake_triage;
    for (const tier of ['low', 'medium', 'high', 'prohibited'] as const) expect(approvalChainFor(triage, tier).length).toBeGreaterThan(0);
    const ladder = {
      ...triage,
      escalationLadder: [
        { action: 'notify' as const, target: 'manager' as const, window: 1_000 },
        { action: 'add' as const, target: 'executive' as const, window: 1_000 },
      ],
    };
    expect(escalationRoles(ladder)).toEqual(['executive']);
  });
});
