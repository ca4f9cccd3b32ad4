import type { Role } from './principal';

/** What a delegation or reassignment of one seat would do, with the facts it is judged on. */
export interface SeatMove {
  change: 'delegated' | 'reassigned';
  /** Who moves the seat: its holder delegating, or a governance lead reassigning. */
  actorId: string;
  fromId: string;
  toId: string;
  /** The target's roles, as the api read them when it signed the command. */
  toRoles: readonly Role[];
  /** The role the step asks for. */
  seatRole: Role;
  /** Roles the policy also lets hold the step's seats: its escalation roles for a reassignment, its delegate roles for a delegation. */
  alsoAllowedRoles: readonly Role[];
  /** The one a delegate holds the seat for; null when its holder holds it in their own right. */
  heldOnBehalfOf: string | null;
  /** Who may never decide this task: the requester, the owner where others decide, the authors of what is decided. */
  excludedIds: readonly string[];
  assigneeIds: readonly string[];
  /** Who voted, directly or through a delegate. */
  voterIds: readonly string[];
  /** Whom the other seats' delegates stand in for: they are in the task already. */
  representedIds?: readonly string[];
}

export type SeatRefusalReason = 'notAssignee' | 'segregationOfDuties' | 'invalidDelegate' | 'alreadyDecided';
export interface SeatMoveRefusal {
  reason: SeatRefusalReason;
  message: string;
}

/** Whoever audits the decisions never takes one (ISO/IEC 42001 9.2.2: auditors' objectivity). */
export const mayHoldSeats = (roles: readonly Role[]) => !roles.includes('auditor');

/** Whether someone with these roles may hold a seat of a step that asks for `seatRole`. */
export const holdsSeatRole = (roles: readonly Role[], seatRole: Role, alsoAllowedRoles: readonly Role[] = []) =>
  mayHoldSeats(roles) && [seatRole, ...alsoAllowedRoles].some((role) => roles.includes(role));

/**
 * Segregation of duties for a seat that changes hands (DESIGN.md §10: judged per person). A seat goes
 * only to someone who could have held it: never to the one moving it, the requester or the owner,
 * an auditor, or someone without the step's role; never to someone already seated or who voted, so
 * that nobody holds two votes; a delegate only hands it back. Undefined when the move is allowed.
 */
export function seatMoveRefusal(move: SeatMove): SeatMoveRefusal | undefined {
  const refuse = (reason: SeatRefusalReason, message: string) => ({ reason, message });
  if (!move.assigneeIds.includes(move.fromId)) {
    return refuse(
      'notAssignee',
      move.change === 'delegated' ? 'only an assignee can delegate their part of this task' : `${move.fromId} is not an assignee of this task`,
    );
  }
  if (move.excludedIds.includes(move.toId)) return refuse('segregationOfDuties', 'the requester and the system owner cannot decide this request');
  if (move.change === 'reassigned' && move.toId === move.actorId)
    return refuse('segregationOfDuties', 'a seat cannot be reassigned to the person reassigning it');
  if (move.assigneeIds.includes(move.toId)) return refuse('invalidDelegate', `${move.toId} is already an assignee of this task`);
  if (move.representedIds?.includes(move.toId)) return refuse('invalidDelegate', `${move.toId} already has a seat in this task, held by their delegate`);
  if (move.voterIds.includes(move.toId)) return refuse('invalidDelegate', `${move.toId} has already decided on this task`);
  // A vote stays with the seat it was cast from: moving that seat would let it count twice.
  if (move.voterIds.includes(move.fromId)) return refuse('alreadyDecided', `${move.fromId} has already decided; their seat cannot move`);
  const handingBack = move.change === 'delegated' && move.heldOnBehalfOf === move.toId;
  if (handingBack) return undefined;
  if (move.change === 'delegated' && move.heldOnBehalfOf !== null) {
    return refuse('invalidDelegate', `a delegate cannot delegate further; hand the seat back to ${move.heldOnBehalfOf}`);
  }
  if (!mayHoldSeats(move.toRoles)) return refuse('segregationOfDuties', `${move.toId} is an auditor, and auditors never decide what they audit`);
  if (!holdsSeatRole(move.toRoles, move.seatRole, move.alsoAllowedRoles)) {
    return refuse('invalidDelegate', `${move.toId} does not hold the role ${move.seatRole} this step asks for`);
  }
  return undefined;
}
