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
    // A step still opening is not yet concluded, whatever its flags say.
    ['an opening step that looks concluded', { ...open, stepOpened: false, concluded: true }, 'taskOpening'],
  ])('%s: %s', (_what, task, reason) => {
    expect(opennessRefusal(task)?.reason).toBe(reason);
  });

  it('says which wait it is: the step opening before an amendment', () => {
    expect(opennessRefusal({ ...open, stepOpened: false, amending: true })?.message).toBe('this task is still opening; try again in a moment');
    expect(opennessRefusal({ ...open, amending: true })?.message).toBe('what this task decides on is being amended; try again in a moment');
    expect(opennessRefusal({ ...open, open: false })?.message).toBe('this task is already closed');
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

  // Each refusal with a second fault behind it: the first rule that applies is the one named.
  it.each([
    ['a choice not offered, by the owner', { choice: 'maybe', actorId: 'owner' }, 'choiceNotAllowed'],
    ['a choice not offered, on an old version', { choice: 'maybe', snapshotHash: 'h0' }, 'choiceNotAllowed'],
    ['the requester, not seated', { actorId: 'requester' }, 'segregationOfDuties'],
    ['someone not seated, on an old version', { actorId: 'carol', snapshotHash: 'h0' }, 'notAssignee'],
    ['a second vote, on an old version', { actorId: 'bob', snapshotHash: 'h0' }, 'alreadyDecided'],
    ['an old version, with a bad submission', { snapshotHash: 'h0', submission: {} }, 'snapshotMismatch'],
  ])('%s', (_who, change, reason) => {
    expect(decisionRefusal({ ...decision, ...change }, task)?.reason).toBe(reason);
  });

  it('says what is wrong with a submission, field by field', () => {
    expect(decisionRefusal({ ...decision, actorId: 'owner' }, task)?.message).toBe('the requester and the system owner cannot decide this request');
    expect(decisionRefusal({ ...decision, actorId: 'carol' }, task)?.message).toBe('you are not an assignee of this task');
    expect(decisionRefusal({ ...decision, actorId: 'bob' }, task)?.message).toBe('you have already decided on this task');
    expect(decisionRefusal({ ...decision, snapshotHash: 'h0' }, task)?.message).toBe(
      'what you decided on has changed since you saw it; review the current version and decide again',
    );
    expect(decisionRefusal({ ...decision, submission: { reason: 'no', extra: 1 } }, task)?.message).toMatch(/^the submission is invalid: .*reason.*; .*extra/);
    expect(decisionRefusal({ ...decision, choice: 'maybe' }, task)?.message).toBe('choose one of: approve, reject');
  });
});

describe('who may reassign, withdraw and amend', () => {
  it('refuses the requester and the owner reassigning their own request, and any reassignment of the owner’s own task', () => {
    expect(reassignerRefusal('lead', { excludedIds: ['owner'], decidedByOwner: false })).toBeUndefined();
    expect(reassignerRefusal('owner', { excludedIds: ['owner'], decidedByOwner: false })?.reason).toBe('segregationOfDuties');
    expect(reassignerRefusal('lead', { excludedIds: ['owner'], decidedByOwner: true })?.reason).toBe('invalidDelegate');
    // The owner reassigning their own task is refused as the owner first.
    expect(reassignerRefusal('owner', { excludedIds: ['owner'], decidedByOwner: true })).toEqual({
      reason: 'segregationOfDuties',
      message: 'the requester and the system owner cannot reassign their own request',
    });
  });

  it('lets only the requester withdraw', () => {
    expect(withdrawalRefusal('owner', 'owner')).toBeUndefined();
    expect(withdrawalRefusal('lead', 'owner')).toEqual({ reason: 'notRequester', message: 'only the requester can withdraw this request' });
  });

  it('lets only the system owner amend, through the process that owns the subject, with a valid amendment', () => {
    const amendable = { amendmentSchema: z.strictObject({ name: z.string() }), hasParent: true, systemOwnerId: 'owner' };
    expect(amendmentRefusal({ actorId: 'owner', submission: { name: 'x' } }, amendable)).toBeUndefined();
    expect(amendmentRefusal({ actorId: 'lead', submission: { name: 'x' } }, amendable)?.reason).toBe('notRequester');
    expect(amendmentRefusal({ actorId: 'owner', submission: { name: 1 } }, amendable)?.reason).toBe('invalidSubmission');
    expect(amendmentRefusal({ actorId: 'owner', submission: { name: 'x' } }, { ...amendable, hasParent: false })?.reason).toBe('notAmendable');
    expect(amendmentRefusal({ actorId: 'owner', submission: { name: 'x' } }, { ...amendable, amendmentSchema: undefined })?.reason).toBe('notAmendable');
    // Not amendable is said before who may amend, and who may amend before what is wrong with it.
    expect(amendmentRefusal({ actorId: 'lead', submission: { name: 1 } }, { ...amendable, hasParent: false })?.message).toBe(
      'what this task decides on cannot be amended',
    );
    expect(amendmentRefusal({ actorId: 'lead', submission: { name: 1 } }, amendable)?.message).toBe('only the system owner can amend this');
    expect(amendmentRefusal({ actorId: 'owner', submission: { name: 1 } }, amendable)?.message).toMatch(/^the amendment is invalid: .*name/);
  });
});
