export const roles = [
  'system_owner',
  'approver',
  'governance_lead',
  'executive',
  'admin',
  'auditor',
  // Specialist reviewers of impact assessments.
  'privacy_officer',
  'legal_counsel',
  'security_officer',
  'risk_officer',
] as const;
export type Role = (typeof roles)[number];

export interface Principal {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  managerId: string | null;
}

/** Roles that may read every system and task: oversight. */
export const oversightRoles: Role[] = ['governance_lead', 'admin', 'auditor'];

export function hasAnyRole(principal: Pick<Principal, 'roles'>, ...wanted: Role[]): boolean {
  return principal.roles.some((role) => wanted.includes(role));
}
