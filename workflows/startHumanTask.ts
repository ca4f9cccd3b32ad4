import { startChild, uuid4 } from '@temporalio/workflow';
import { processSearchAttributes, workflowIds, type HumanTaskInput } from './contracts';
import { humanTaskWorkflow } from './humanTask';

/** Starts one human task as a child workflow (`task-<taskId>`), findable by its system in the Web UI. */
export async function startHumanTask(input: Omit<HumanTaskInput, 'taskId'>) {
  const taskId = uuid4();
  const handle = await startChild(humanTaskWorkflow, {
    workflowId: workflowIds.task(taskId),
    args: [{ taskId, ...input }],
    typedSearchAttributes: processSearchAttributes(input.systemId, `task:${input.kind}`, { tier: input.tier }),
  });
  return { taskId, handle };
}
