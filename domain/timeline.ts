/** A retirement checklist item as a person says it: retirement_data_disposal is 'data disposal'. */
const checklistItemName = (kind: string) => kind.replace('retirement_', '').replace('_', ' ');

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
      return d.whileSuspended
        ? `Moved from ${d.from} to ${d.to} while suspended (the state it resumes to): ${d.reason}`
        : `Moved from ${d.from} to ${d.to}: ${d.reason}`;
    case 'system.suspension_held':
      return `Suspension also held by ${d.holder}: ${d.reason}`;
    case 'system.suspension_released':
      return `Suspension released by ${d.holder} (${d.reason}); still held by ${(d.remaining ?? []).join(', ')}`;
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
    case 'incident.reported':
      return `${d.serious ? 'Serious ' : ''}${d.severity} incident reported${by}, occurred ${d.occurredAt}${d.regulatoryReportDue ? `; report to the authority due ${d.regulatoryReportDue}` : ''}`;
    case 'incident.acknowledged':
      return `Incident acknowledged${by}`;
    case 'incident.contained':
      return `Incident contained${by}: ${d.actions}${d.suspended ? '; system suspended' : ''}${d.suspensionRefused ? `; not suspended: ${d.suspensionRefused}` : ''}`;
    case 'incident.resolved':
      return `Incident resolved${by} (round ${d.round}): root cause ${d.rootCause}`;
    case 'incident.reported_to_authority':
      return `Serious incident reported to ${d.authority} on ${d.reportedAt} (reference ${d.reference})${by}${d.onTime === false ? `, after the deadline of ${d.due}` : ''}`;
    case 'incident.closure_changes_requested':
      return `Closure refused${by}: the incident goes back to resolution`;
    case 'incident.stage_reopened':
      return `Incident ${d.stage.replace('_', ' ')} not done before the last deadline (${d.lapsedStatus}); reopened for the governance leads`;
    case 'incident.closed':
      return `Incident closed${by}${d.resumed ? '; system resumed' : ''}${d.outcome === 'closed_reassessing' ? '; re-assessment started' : ''}`;
    case 'process.cancelled':
      return `The ${d.process.replace('_', ' ')} process was cancelled: the system is retiring or was withdrawn`;
    case 'process.failed':
      return `The ${d.process.replace('_', ' ')} process could not proceed: ${d.reason}`;
    case 'retirement.requested':
      return `Retirement requested${by} from ${d.retireOn}: ${d.reason}`;
    case 'retirement.approved':
      return `Retirement approved by ${(d.approvedBy ?? []).join(', ')}`;
    case 'retirement.rejected':
      return `Retirement rejected${by}: ${d.reason}`;
    case 'retirement.withdrawn':
      return `Retirement withdrawn${by}`;
    case 'retirement.expired':
      return `Retirement not decided: ${d.reason}`;
    case 'retirement.checklist_opened':
      return `Retirement checklist round ${d.round} opened${event.actorId ? `: changes requested${by}` : ''}`;
    case 'retirement.checklist_item_done':
      return `Retirement checklist: ${checklistItemName(d.item)} done${by}: ${d.evidence}`;
    case 'retirement.checklist_item_reopened':
      return `Retirement checklist: ${checklistItemName(d.item)} not done before the last deadline; reopened for the governance leads`;
    case 'retirement.checklist_completed':
      return `Retirement checklist round ${d.round} complete; its evidence goes to sign-off`;
    case 'retirement.awaiting_date':
      return `Retirement checklist done; the sign-off opens on ${d.retireOn}`;
    case 'retirement.signoff_reopened':
      return `Retirement sign-off not given before the last deadline (${d.previous}); opened again`;
    case 'retirement.retired':
      return `Retired; signed off${by}. Its records are kept as evidence`;
    case 'review.opened':
      return `Periodic review opened (${d.reason.replaceAll('_', ' ')})${by}`;
    case 'review.skipped':
      return `Periodic review (${d.reason.replaceAll('_', ' ')}) not opened: ${d.why}`;
    case 'review.completed':
      return `Periodic review closed, ${d.outcome.replaceAll('_', ' ')}: ${d.reason}${d.nextReviewDue ? `; next review due ${d.nextReviewDue}` : ''}`;
    case 'review.expired':
      return `Periodic review not attested: ${d.reason}`;
    case 'system.retiered':
      return `Re-tiered from ${d.from} to ${d.to}${by}: ${d.reason}`;
    case 'risk.reaccepted':
      return `Accepted risk ${d.riskId} re-accepted until ${d.expiresAt}`;
    case 'risk.acceptance_lapsed':
      return `Acceptance of risk ${d.riskId} lapsed (${d.reason}); the system goes to a re-assessment`;
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
