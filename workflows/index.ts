export { intakeWorkflow } from './intake';
export { humanTaskWorkflow } from './humanTask';
