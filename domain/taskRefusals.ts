import type { z } from 'zod';
import { describeIssues } from './issues';

/**
 * Who may do what to an open task, and when: the rules a task's Update validators judge by, pure so
 * that they are table-tested. Seat moves have theirs in seatRules.ts.
 */
export type TaskRefusalReason =
  | 'taskOpening'
  | 'taskClosed'
  | 'choiceNotAllowed'
  | 'segregationOfDuties'
  | 'notAssignee'
  | 'alreadyDecided'
  | 'snapshotMismatch'
  | 'invalidSubmission'
  | 'notRequester'
  | 'notAmendable'
  | 'invalidDelegate';

export interface TaskRefusal {
  reason: TaskRefusalReason;
  message: string;
}

const refusal = (reason: TaskRefusalReason, message: string): TaskRefusal => ({ reason, message });

/** Where the task stands, as far as taking a command goes. */
export interface TaskOpenness {
  /** The current step's assignees are seated. */
  stepOpened: boolean;
  /** The task has not ended (decided, withdrawn, timed out). */
  open: boolean;
  /** An amendment is being recorded, or a changed subject is about to restart the chain. */
  amending: boolean;
  /** The step, or the whole chain, has its outcome; or a withdrawal is pending. */
  concluded: boolean;
}

/** Commands wait while a step opens or the subject changes, and meet a closed task once it is concluded. */
export function opennessRefusal(task: TaskOpenness): TaskRefusal | undefined {
  if (!task.stepOpened && task.open) return refusal('taskOpening', 'this task is still opening; try again in a moment');
  if (task.amending) return refusal('taskOpening', 'what this task decides on is being amended; try again in a moment');
  if (!task.open || task.concluded) return refusal('taskClosed', 'this task is already closed');
  return undefined;
}

/** A submission checked against the task kind's schema, its problems as the refusal says them. */
function submissionRefusal(schema: z.ZodType | undefined, submission: unknown, what: 'submission' | 'amendment'): TaskRefusal | undefined {
  if (!schema) return undefined;
  const parsed = schema.safeParse(submission);
  if (parsed.success) return undefined;
  return refusal('invalidSubmission', `the ${what} is invalid: ${describeIssues(parsed.error, '(submission)').join('; ')}`);
}

export interface Decision {
  actorId: string;
  choice: string;
  snapshotHash: string;
  submission?: unknown;
}

export interface DecisionContext {
  choices: readonly string[];
  /** Who may never decide this task: the requester, the owner where others decide, the authors of what is decided. */
  excludedIds: readonly string[];
  assigneeIds: readonly string[];
  /** Who voted in this task, in any step: one person, one vote. */
  voterIds: readonly string[];
  /** The hash of the version of the subject the task now decides on. */
  subjectHash: string;
  submissionSchema?: z.ZodType;
}

export function decisionRefusal(decision: Decision, task: DecisionContext): TaskRefusal | undefined {
  if (!task.choices.includes(decision.choice)) return refusal('choiceNotAllowed', `choose one of: ${task.choices.join(', ')}`);
  if (task.excludedIds.includes(decision.actorId)) return refusal('segregationOfDuties', 'the requester and the system owner cannot decide this request');
  if (!task.assigneeIds.includes(decision.actorId)) return refusal('notAssignee', 'you are not an assignee of this task');
  if (task.voterIds.includes(decision.actorId)) return refusal('alreadyDecided', 'you have already decided on this task');
  if (decision.snapshotHash !== task.subjectHash) {
    return refusal('snapshotMismatch', 'what you decided on has changed since you saw it; review the current version and decide again');
  }
  return submissionRefusal(task.submissionSchema, decision.submission, 'submission');
}

/** Who reassigns: never the requester or owner of the request, and never the seat of the owner's own task. */
export function reassignerRefusal(actorId: string, task: { excludedIds: readonly string[]; decidedByOwner: boolean }): TaskRefusal | undefined {
  if (task.excludedIds.includes(actorId)) return refusal('segregationOfDuties', 'the requester and the system owner cannot reassign their own request');
  if (task.decidedByOwner) return refusal('invalidDelegate', "the owner's own task cannot be reassigned");
  return undefined;
}

/** Only the requester withdraws a request. */
export const withdrawalRefusal = (actorId: string, requesterId: string): TaskRefusal | undefined =>
  actorId === requesterId ? undefined : refusal('notRequester', 'only the requester can withdraw this request');

export interface AmendmentContext {
  /** The kind's schema for an amended subject; none where the subject cannot be amended. */
  amendmentSchema?: z.ZodType;
  /** A subject is amended through the process that owns it: a task on its own has none. */
  hasParent: boolean;
  systemOwnerId: string;
}

export function amendmentRefusal(amendment: { actorId: string; submission?: unknown }, task: AmendmentContext): TaskRefusal | undefined {
  if (!task.amendmentSchema || !task.hasParent) return refusal('notAmendable', 'what this task decides on cannot be amended');
  if (amendment.actorId !== task.systemOwnerId) return refusal('notRequester', 'only the system owner can amend this');
  return submissionRefusal(task.amendmentSchema, amendment.submission, 'amendment');
}
