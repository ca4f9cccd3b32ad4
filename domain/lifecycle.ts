/** The one lifecycle state machine of an AI system (DESIGN.md §4). Only workflows change state. */
export const lifecycleStates = [
  'intake',
  'rejected',
  'withdrawn',
  'assessment',
  'risk_treatment',
  'active',
  'under_review',
  'suspended',
  'retiring',
  'retired',
] as const;
export type LifecycleState = (typeof lifecycleStates)[number];

/** Before a system is first in service, its owner may withdraw it. */
export const withdrawableStates: readonly LifecycleState[] = ['intake', 'assessment', 'risk_treatment'];

/** A system in service: it has a review schedule (paused while it is suspended). */
export const inServiceStates: readonly LifecycleState[] = ['active', 'under_review'];

/**
 * Suspension (an incident's containment, a rejected re-assessment) takes a system out of service from
 * any state after acceptance; resumption returns it to the state it was suspended from.
 */
const allowedTransitions: Record<LifecycleState, readonly LifecycleState[]> = {
  intake: ['assessment', 'rejected', 'withdrawn', 'retiring'],
  rejected: [],
  withdrawn: [],
  // Until a system is in service its owner may withdraw it; after that it leaves by retirement.
  assessment: ['risk_treatment', 'rejected', 'withdrawn', 'suspended', 'retiring'],
  risk_treatment: ['active', 'assessment', 'rejected', 'withdrawn', 'suspended', 'retiring'],
  active: ['under_review', 'suspended', 'retiring'],
  under_review: ['active', 'assessment', 'suspended', 'retiring'],
  // Resumption returns to the state held meanwhile: the one suspended from, or the end onboarding reached while held.
  suspended: ['active', 'under_review', 'assessment', 'risk_treatment', 'rejected', 'withdrawn', 'retiring'],
  retiring: ['retired'],
  retired: [],
};

export function canTransition(from: LifecycleState, to: LifecycleState): boolean {
  return allowedTransitions[from].includes(to);
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: LifecycleState,
    readonly to: LifecycleState,
  ) {
    super(`an AI system in state '${from}' cannot move to '${to}'`);
    this.name = 'IllegalTransitionError';
  }
}

export function assertTransition(from: LifecycleState, to: LifecycleState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

/** The processes that run under a system and end as cancelled when it retires. */
export type CancellableProcess = 'intake' | 'impact_assessment' | 'risk_treatment' | 'risk_acceptance' | 'periodic_review' | 'incident';
