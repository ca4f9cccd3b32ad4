import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { amendmentRefusal, decisionRefusal, opennessRefusal, reassignerRefusal, withdrawalRefusal, type DecisionContext } from '../../domain/taskRefusals';

const open = { stepOpened: true, open: true, amending: false, concluded: false };

describe('when a task takes a command', () => {
  it.each([
    ['an open step', open, undefined],
    ['a step still seating its assignees', { ...open, stepOpened: false }, 'taskOpening'],
    ['a subject being amended', { ...open, amending: true }, 'taskOpening'],
    ['a concluded step or a pending withdrawal', { ...open, concluded: true }, 'taskClosed'],
    ['an ended task', { ...open, open: false }, 'taskClosed'],
    // An ended task is closed, not opening, however far its last step got.
    ['an ended task whose step never opened', { ...open, open: false, stepOpened: false }, 'taskClosed'],
    // An amendment answers first: the same command a moment later meets the new version.
    ['an amended subject of a concluded step', { ...open, amending: true, concluded: true }, 'taskOpening'],
  ])('%s: %s', (_what, task, reason) => {
    expect(opennessRefusal(task)?.reason).toBe(reason);
  });
});

describe('who may decide', () => {
  const task: DecisionContext = {
    choices: ['approve', 'reject'],
    excludedIds: ['owner', 'requester'],
    assigneeIds: ['ada', 'bob', 'owner'],
    voterIds: ['bob'],
    subjectHash: 'h1',
    submissionSchema: z.strictObject({ reason: z.string().min(3) }),
  };
  const decision = { actorId: 'ada', choice: 'approve', snapshotHash: 'h1', submission: { reason: 'fine' } };

  it.each([
    ['a seated person on the version they saw', {}, undefined],
    ['a choice the kind does not offer', { choice: 'maybe' }, 'choiceNotAllowed'],
    // Segregation of duties before seating: the owner is refused as the owner, even where seated.
    ['the owner, though seated', { actorId: 'owner' }, 'segregationOfDuties'],
    ['the requester', { actorId: 'requester' }, 'segregationOfDuties'],
    ['someone not seated', { actorId: 'carol' }, 'notAssignee'],
    ['someone who voted already, in this step or an earlier one', { actorId: 'bob' }, 'alreadyDecided'],
    ['a decision on a version no longer current', { snapshotHash: 'h0' }, 'snapshotMismatch'],
    ['a submission the kind does not take', { submission: { reason: 'no' } }, 'invalidSubmission'],
  ])('%s', (_who, change, reason) => {
    expect(decisionRefusal({ ...decision, ...change }, task)?.reason).toBe(reason);
  });

  it('says what is wrong with a submission, field by field', () => {
    expect(decisionRefusal({ ...decision, submission: { reason: 'no', extra: 1 } }, task)?.message).toMatch(/^the submission is invalid: .*reason.*; .*extra/);
    expect(decisionRefusal({ ...decision, choice: 'maybe' }, task)?.message).toBe('choose one of: approve, reject');
  });
});

describe('who may reassign, withdraw and amend', () => {
  it('refuses the requester and the owner reassigning their own request, and any reassignment of the owner’s own task', () => {
    expect(reassignerRefusal('lead', { excludedIds: ['owner'], decidedByOwner: false })).toBeUndefined();
    expect(reassignerRefusal('owner', { excludedIds: ['owner'], decidedByOwner: false })?.reason).toBe('segregationOfDuties');
    expect(reassignerRefusal('lead', { excludedIds: ['owner'], decidedByOwner: true })?.reason).toBe('invalidDelegate');
  });

  it('lets only the requester withdraw', () => {
    expect(withdrawalRefusal('owner', 'owner')).toBeUndefined();
    expect(withdrawalRefusal('lead', 'owner')?.reason).toBe('notRequester');
  });

  it('lets only the system owner amend, through the process that owns the subject, with a valid amendment', () => {
    const amendable = { amendmentSchema: z.strictObject({ name: z.string() }), hasParent: true, systemOwnerId: 'owner' };
    expect(amendmentRefusal({ actorId: 'owner', submission: { name: 'x' } }, amendable)).toBeUndefined();
    expect(amendmentRefusal({ actorId: 'lead', submission: { name: 'x' } }, amendable)?.reason).toBe('notRequester');
    expect(amendmentRefusal({ actorId: 'owner', submission: { name: 1 } }, amendable)?.reason).toBe('invalidSubmission');
    expect(amendmentRefusal({ actorId: 'owner', submission: { name: 'x' } }, { ...amendable, hasParent: false })?.reason).toBe('notAmendable');
    expect(amendmentRefusal({ actorId: 'owner', submission: { name: 'x' } }, { ...amendable, amendmentSchema: undefined })?.reason).toBe('notAmendable');
  });
});
