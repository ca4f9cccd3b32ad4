import { describe, expect, it } from 'vitest';
import { incidentReportSchema, regulatoryReportDue, seriousIncidentClock } from '../../domain/incident';

const day = 86_400_000;
const art73 = { general: 15 * day, death: 10 * day, widespreadOrCriticalInfrastructure: 2 * day };
const reportedAt = Date.parse('2026-06-10T12:00:00Z');
const report = (overrides: Record<string, unknown>) =>
  incidentReportSchema.parse({ severity: 'high', description: 'wrong dosage advice', occurredAt: '2026-06-01T08:00:00Z', ...overrides });
const seriousness = (overrides: Record<string, unknown> = {}) => ({
  limbs: ['death_or_serious_harm_to_health'],
  rationale: 'a patient was harmed',
  ...overrides,
});

describe('Art. 73 reporting clocks', () => {
  it.each([
    ['a serious incident in general', seriousness(), 'Art. 73(2)', 15],
    ['a death', seriousness({ death: true }), 'Art. 73(4)', 10],
    ['a widespread infringement', seriousness({ limbs: ['fundamental_rights_infringement'], widespreadInfringement: true }), 'Art. 73(3)', 2],
    ['a serious disruption of critical infrastructure', seriousness({ limbs: ['critical_infrastructure_disruption'] }), 'Art. 73(3)', 2],
    [
      'a death in a disruption of critical infrastructure (the shorter clock)',
      seriousness({ limbs: ['critical_infrastructure_disruption'], death: true }),
      'Art. 73(3)',
      2,
    ],
  ])('%s is reported within the days of %s', (_, given, provision, days) => {
    const filed = report({ serious: true, seriousness: given, becameAwareAt: '2026-06-05T12:00:00Z' });
    expect(seriousIncidentClock(filed.seriousness).provision).toBe(provision);
    expect(regulatoryReportDue(filed, art73, reportedAt)).toBe(new Date(Date.parse('2026-06-05T12:00:00Z') + days * day).toISOString());
  });

  it('runs from the report when awareness is not given, and not at all for an incident that is not serious', () => {
    expect(regulatoryReportDue(report({ serious: true, seriousness: seriousness() }), art73, reportedAt)).toBe(new Date(reportedAt + 15 * day).toISOString());
    expect(regulatoryReportDue(report({}), art73, reportedAt)).toBeNull();
  });

  it('refuses a serious incident without its limb and rationale, and awareness before the incident', () => {
    const refused = (overrides: Record<string, unknown>) =>
      incidentReportSchema.safeParse({ severity: 'high', description: 'x', occurredAt: '2026-06-01T08:00:00Z', ...overrides });
    expect(refused({ serious: true }).error?.issues.map((issue) => issue.path.join('.'))).toEqual(['seriousness']);
    expect(refused({ serious: true, seriousness: { limbs: [], rationale: 'x' } }).error?.issues.map((issue) => issue.path.join('.'))).toEqual([
      'seriousness.limbs',
    ]);
    expect(refused({ seriousness: seriousness() }).error?.issues.map((issue) => issue.message)).toEqual(['only a serious incident has a seriousness']);
    expect(refused({ becameAwareAt: '2026-05-31T08:00:00Z' }).error?.issues.map((issue) => issue.path.join('.'))).toEqual(['becameAwareAt']);
  });
});
