/** One line a person can read for an audit event, for the system timeline page and its API twin. */
export function describeAuditEvent(event: { type: string; actorId: string | null; data: Record<string, any> }): string {
  const by = event.actorId ? ` by ${event.actorId}` : '';
  const d = event.data;
  switch (event.type) {
    case 'system.registered':
      return `Registered${by} as "${d.name}"`;
    case 'system.triaged':
      return `Triaged as ${d.tier} tier (rule ${d.ruleId}: ${d.reason})`;
    case 'system.intake_revised':
      return `Intake version ${d.version} (${d.reason})${by}`;
    case 'system.state_changed':
      return `Moved from ${d.from} to ${d.to}: ${d.reason}`;
    case 'system.intake_expired':
      return `Intake expired: ${d.reason}`;
    case 'assessment.submitted':
      return `Impact assessment version ${d.version} submitted${by}`;
    case 'assessment.approved':
      return `Impact assessment version ${d.version} approved; impact level ${d.impactLevel}`;
    case 'assessment.rejected':
      return `Impact assessment version ${d.version} rejected`;
    case 'assessment.changes_requested':
      return `Changes requested to impact assessment version ${d.version}`;
    case 'risk_treatment.submitted':
      return `Risk treatment plan version ${d.version} submitted${by}: ${d.risks} risks, residual risk ${d.residualRisk}`;
    case 'risk_treatment.approved':
      return `Risk treatment plan version ${d.version} signed off; residual risk ${d.residualRisk}`;
    case 'risk_treatment.rejected':
      return `Risk treatment plan version ${d.version} rejected`;
    case 'risk_treatment.changes_requested':
      return `Changes requested to risk treatment plan version ${d.version}`;
    case 'system.risk_treatment_expired':
      return `Risk treatment plan not submitted: ${d.reason}`;
    case 'system.assessment_expired':
      return `Impact assessment not submitted: ${d.reason}`;
    case 'task.opened':
      return `Task opened: ${d.kind}, due ${d.dueAt}`;
    case 'task.step_opened':
      return `Step ${d.step + 1} opened for ${d.role}: ${(d.assignees ?? []).map((a: { principalId: string; onBehalfOf: string | null }) => (a.onBehalfOf ? `${a.principalId} for ${a.onBehalfOf}` : a.principalId)).join(', ')}`;
    case 'task.assignment_gap':
      return `Nobody holds ${d.role}; assigned to the governance leads`;
    case 'task.reminded':
      return `Reminder ${d.reminderNumber} sent`;
    case 'task.escalated':
      return `Escalated to level ${d.level}: ${d.action} ${(d.targetIds ?? []).join(', ')}`;
    case 'task.decided':
      return `Decided "${d.choice}"${by}${d.onBehalfOf ? ` on behalf of ${d.onBehalfOf}` : ''}${d.comment ? `: ${d.comment}` : ''}`;
    case 'task.delegated':
      return `Delegated${by} from ${d.fromId} to ${d.toId}`;
    case 'task.reassigned':
      return `Reassigned${by} from ${d.fromId} to ${d.toId}: ${d.reason}`;
    case 'task.closed':
      return `Task closed: ${d.status}${d.outcome ? ` (${d.outcome})` : ''}`;
    default:
      return `${event.type}${by}`;
  }
}
