import { describe, expect, it } from 'vitest';
import {
  assertTransition,
  canTransition,
  IllegalTransitionError,
  inServiceStates,
  lifecycleStates,
  withdrawableStates,
  type LifecycleState,
} from '../../domain/lifecycle';

const reachableFrom = (from: LifecycleState) => lifecycleStates.filter((to) => canTransition(from, to));
const leadingTo = (to: LifecycleState) => lifecycleStates.filter((from) => canTransition(from, to));

describe('the lifecycle of an AI system', () => {
  it('ends for good in rejected, withdrawn and retired', () => {
    for (const end of ['rejected', 'withdrawn', 'retired'] as const) expect(reachableFrom(end)).toEqual([]);
  });

  it('is withdrawn only before it was first in service, and from every such state (or resumed to a withdrawal made while suspended)', () => {
    expect(leadingTo('withdrawn')).toEqual([...withdrawableStates, 'suspended']);
    for (const state of inServiceStates) expect(canTransition(state, 'withdrawn')).toBe(false);
  });

  it('comes into service only through risk treatment, or back from a review or a suspension', () => {
    expect(leadingTo('active')).toEqual(['risk_treatment', 'under_review', 'suspended']);
    expect(canTransition('intake', 'active')).toBe(false);
    expect(canTransition('assessment', 'active')).toBe(false);
  });

  it('is retired only after retiring, and may start retiring from any state that has not ended', () => {
    expect(leadingTo('retired')).toEqual(['retiring']);
    expect(reachableFrom('retiring')).toEqual(['retired']);
    const notEnded = lifecycleStates.filter((state) => !['rejected', 'withdrawn', 'retiring', 'retired'].includes(state));
    expect(leadingTo('retiring')).toEqual(notEnded);
  });

  it('resumes a suspended system to every state it can be suspended from, or to the end its onboarding reached while held; or retires it', () => {
    const suspendable = leadingTo('suspended');
    expect(suspendable).toEqual(['assessment', 'risk_treatment', 'active', 'under_review']);
    const onboardingEnds = ['rejected', 'withdrawn'];
    expect(reachableFrom('suspended')).toEqual(
      lifecycleStates.filter((state) => suspendable.includes(state) || onboardingEnds.includes(state) || state === 'retiring'),
    );
  });

  it('refuses any other move by name', () => {
    expect(() => assertTransition('retired', 'active')).toThrow(new IllegalTransitionError('retired', 'active'));
    expect(() => assertTransition('retired', 'active')).toThrow("an AI system in state 'retired' cannot move to 'active'");
    expect(() => assertTransition('intake', 'assessment')).not.toThrow();
  });
});
