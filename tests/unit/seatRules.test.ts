import { describe, expect, it } from 'vitest';
import { seatMoveRefusal, type SeatMove } from '../../domain/seatRules';

// A specialist review: the privacy officer holds the seat; Grace, a governance lead, could move it.
const move = (change: Partial<SeatMove>): SeatMove => ({
  change: 'reassigned',
  actorId: 'grace',
  fromId: 'pia',
  toId: 'paul',
  toRoles: ['privacy_officer'],
  seatRole: 'privacy_officer',
  alsoAllowedRoles: [],
  heldOnBehalfOf: null,
  excludedIds: ['olivia', 'ravi'],
  assigneeIds: ['pia', 'sam'],
  voterIds: ['sam'],
  ...change,
});

describe('who a seat may go to', () => {
  it.each<[string, Partial<SeatMove>, string | undefined]>([
    ['another privacy officer, by a lead', {}, undefined],
    ['the lead reassigning it to themselves, even holding the role', { toId: 'grace', toRoles: ['governance_lead', 'privacy_officer'] }, 'segregationOfDuties'],
    ['a lead without the step role', { toId: 'gus', toRoles: ['governance_lead'] }, 'invalidDelegate'],
    ['a lead when the ladder escalates to leads', { toId: 'gus', toRoles: ['governance_lead'], alsoAllowedRoles: ['governance_lead'] }, undefined],
    ['the owner', { toId: 'olivia', toRoles: ['system_owner', 'privacy_officer'] }, 'segregationOfDuties'],
    ['the requester', { toId: 'ravi' }, 'segregationOfDuties'],
    ['an auditor, whatever else they hold', { toId: 'aldo', toRoles: ['auditor', 'privacy_officer'] }, 'segregationOfDuties'],
    ['someone already seated, who would hold two votes', { toId: 'sam' }, 'invalidDelegate'],
    ['someone whose delegate holds a seat, who would be counted twice', { toId: 'hana', representedIds: ['hana'] }, 'invalidDelegate'],
    ['someone who voted in an earlier step', { toId: 'vic', voterIds: ['vic'] }, 'invalidDelegate'],
    ['away from a seat that voted', { fromId: 'sam', assigneeIds: ['pia', 'sam'] }, 'alreadyDecided'],
    ['from someone not seated', { fromId: 'nobody' }, 'notAssignee'],
  ])('reassigned to %s', (_what, change, refusal) => {
    expect(seatMoveRefusal(move(change))?.reason).toBe(refusal);
  });

  it.each<[string, Partial<SeatMove>, string | undefined]>([
    ['a colleague with the role', {}, undefined],
    ['a colleague without it', { toRoles: ['approver'] }, 'invalidDelegate'],
    ['a colleague of a role the policy lets deputise', { toRoles: ['legal_counsel'], alsoAllowedRoles: ['legal_counsel'] }, undefined],
    ['an auditor', { toRoles: ['auditor'] }, 'segregationOfDuties'],
    [
      'back to the one the delegate stands in for',
      { actorId: 'paul', fromId: 'paul', assigneeIds: ['paul', 'sam'], heldOnBehalfOf: 'pia', toId: 'pia', toRoles: ['privacy_officer'] },
      undefined,
    ],
    [
      'on, by a delegate, to a third person',
      { actorId: 'paul', fromId: 'paul', assigneeIds: ['paul', 'sam'], heldOnBehalfOf: 'pia', toId: 'quinn' },
      'invalidDelegate',
    ],
  ])('delegated to %s', (_what, change, refusal) => {
    expect(seatMoveRefusal(move({ change: 'delegated', actorId: 'pia', ...change }))?.reason).toBe(refusal);
  });
});
