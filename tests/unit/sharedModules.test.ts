import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as incident from '../../domain/incident';
import * as policy from '../../domain/policy';
import * as retirement from '../../domain/retirement';
import * as review from '../../domain/review';
import * as system from '../../domain/system';
import * as task from '../../domain/task';
import { settleForFreezing } from '../../workflows/sharedModules';
import { sampleAssessment, sampleIntake, sampleRiskRegister } from '../helpers/samples';
import { calmPolicy } from '../helpers/policies';

/** What the SDK does to preloaded modules before workflows share them: every own property, all the way down. */
function freezeDeep(value: unknown, seen = new WeakSet<object>()): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
  seen.add(value);
  if (typeof value === 'object') {
    for (const key of Reflect.ownKeys(value)) {
      try {
        freezeDeep((value as Record<PropertyKey, unknown>)[key], seen);
      } catch {
        // typed arrays and the like cannot be frozen, as in the SDK
      }
    }
  }
  Object.freeze(value);
}

const garbage = [undefined, null, {}, [], '', 'x'.repeat(5000), -1, 1e308, true, { status: 'changed' }, [{}], '\u0000'];

describe('schemas shared by every workflow of a worker (workflows/sharedModules.ts)', () => {
  it('would be refused by a frozen zod schema that was never settled: the failure the settling prevents', () => {
    const unsettled = z.strictObject({ name: z.string().min(1), tags: z.array(z.string()) });
    freezeDeep(unsettled);
    expect(() => unsettled.safeParse({ name: 'a', tags: [] })).toThrow(TypeError);
  });

  it('parses, once settled and frozen, what the workflows parse: valid input and garbage alike, without throwing', () => {
    const shared = [z, incident, policy, retirement, review, system, task];
    settleForFreezing(shared);
    freezeDeep(shared);

    expect(system.intakeRequestSchema.parse(sampleIntake()).name).toBe('Invoice summariser');
    expect(task.taskKinds.impact_assessment.submissionSchema.parse(sampleAssessment())).toBeTruthy();
    expect(task.taskKinds.risk_treatment_plan.submissionSchema.parse(sampleRiskRegister('high'))).toBeTruthy();
    expect(review.reviewAttestationSchema.parse({ status: 'changed', changes: 'New data source' })).toMatchObject({ status: 'changed' });
    expect(incident.incidentContainmentSchema.parse({ actions: 'Model rolled back', suspendSystem: true }).suspendSystem).toBe(true);
    expect(incident.regulatoryReportSchema.parse({ authority: 'AI Office', reference: 'R-1', reportedAt: '2026-12-01T10:00:00Z' })).toBeTruthy();
    expect(retirement.checklistEvidenceSchema.parse({ evidence: 'Keys revoked' })).toBeTruthy();
    expect(policy.policySchema.parse(calmPolicy)).toBeTruthy();
    expect(system.intakeRequestSchema.safeParse(sampleIntake({ name: '' })).error?.issues[0].path).toEqual(['name']);

    const schemas = task.taskKindNames.flatMap((kind) => [task.taskKinds[kind].submissionSchema, task.taskKinds[kind].amendmentSchema]);
    for (const schema of schemas.filter((s): s is z.ZodType => s !== undefined)) {
      for (const input of garbage) expect(() => schema.safeParse(input)).not.toThrow();
    }
  });
});
