import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIds } from '../workflows/contracts';
import { sampleIntake, startHarness, type CastMember, type Harness } from './helpers/harness';
import { triageOnlyPolicy } from './helpers/policies';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ extraGovernanceLead: true, withGovernanceLeadOwner: true });
  h.usePolicy(triageOnlyPolicy);
});
afterAll(() => h?.stop());

async function systemInService(name: string, owner: CastMember) {
  const filed = await h.api('POST', '/api/v1/systems', { as: owner, body: sampleIntake({ name }) });
  const systemId = filed.body.systemId as string;
  expect((await h.decide((await h.openTask(systemId, 'intake_triage')).id, 'lead', 'accept')).status).toBe(200);
  await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result();
  return systemId;
}
const retier = (systemId: string, as: CastMember, tier: string) =>
  h.api('PUT', `/api/v1/systems/${systemId}/tier`, { as, body: { tier, reason: `set to ${tier}` } });
const tierOf = async (systemId: string) => (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body.system.riskTier;
const history = async (systemId: string) =>
  (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body.history as { type: string; actorId: string; data: any }[];

describe('re-tiering a system in service', () => {
  it('is refused to a governance lead who owns the system', async () => {
    const systemId = await systemInService('A lead’s own system', 'ownerAndLead');
    const own = await retier(systemId, 'ownerAndLead', 'high');
    expect(own.status).toBe(403);
    expect(own.body.error).toBe('segregation_of_duties');
    expect(await tierOf(systemId)).toBe('low');
  });

  it('raises the tier at once, and lowers it only when a second governance lead confirms', async () => {
    const systemId = await systemInService('Lowered with four eyes', 'owner');
    expect((await retier(systemId, 'lead', 'high')).status).toBe(200);
    expect(await tierOf(systemId)).toBe('high');

    const proposed = await retier(systemId, 'lead', 'low');
    expect(proposed.status).toBe(202);
    expect(proposed.body).toMatchObject({ tier: 'high', proposedTier: 'low', status: 'awaiting_confirmation' });
    expect((await retier(systemId, 'lead', 'low')).status).toBe(202);
    expect(await tierOf(systemId)).toBe('high');

    const confirmed = await retier(systemId, 'lead2', 'low');
    expect(confirmed.status).toBe(200);
    expect(await tierOf(systemId)).toBe('low');
    const events = await history(systemId);
    expect(events.filter((event) => event.type === 'system.tier_downgrade_proposed')).toEqual([
      expect.objectContaining({ actorId: 'lead', data: { from: 'high', to: 'low', reason: 'set to low' } }),
    ]);
    expect(events.filter((event) => event.type === 'system.retiered').at(-1)).toMatchObject({
      actorId: 'lead2',
      data: { from: 'high', to: 'low', proposedBy: 'lead' },
    });
  });

  it('drops a proposal once the system changed: the confirmation then proposes anew', async () => {
    const systemId = await systemInService('Changed under a proposal', 'owner');
    expect((await retier(systemId, 'lead', 'medium')).status).toBe(200);
    expect((await retier(systemId, 'lead', 'low')).status).toBe(202);
    expect((await retier(systemId, 'lead2', 'high')).status).toBe(200);
    // Proposed on a tier the system no longer has: lead2's request is a proposal of its own.
    expect((await retier(systemId, 'lead2', 'low')).status).toBe(202);
    expect(await tierOf(systemId)).toBe('high');
  });
});
