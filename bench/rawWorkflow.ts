import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

export const approveUpdate = defineUpdate<string, [string]>('approve');

/** The baseline: raw Temporal doing the same shape of work as an intake, one start and one human update. */
export async function rawApprovalWorkflow(): Promise<string> {
  let decision: string | undefined;
  setHandler(approveUpdate, (choice) => {
    decision = choice;
    return choice;
  });
  await condition(() => decision !== undefined);
  return decision!;
}
