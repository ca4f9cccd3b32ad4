import { condition, defineQuery, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

export const approveUpdate = defineUpdate<string, [string]>('approve');
/** Answered by the worker holding the workflow, so a caller knows it is loaded and waiting. */
export const decisionQuery = defineQuery<string | undefined>('decision');

/** The baseline: raw Temporal doing the same shape of work as an intake, one start and one human update. */
export async function rawApprovalWorkflow(): Promise<string> {
  let decision: string | undefined;
  setHandler(approveUpdate, (choice) => {
    decision = choice;
    return choice;
  });
  setHandler(decisionQuery, () => decision);
  await condition(() => decision !== undefined);
  return decision!;
}

const { openRawTask } = proxyActivities<{ openRawTask(key: string): Promise<void> }>({ startToCloseTimeout: '30 seconds' });

/** The baseline of a scheduled review: a workflow a schedule starts, whose one activity stands for opening a task. */
export async function rawScheduledWorkflow(key: string): Promise<void> {
  await openRawTask(key);
}
