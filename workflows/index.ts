export { intakeWorkflow } from './intake';
export { humanTaskWorkflow } from './humanTask';
export { impactAssessmentWorkflow } from './impactAssessment';
export { riskTreatmentWorkflow } from './riskTreatment';
