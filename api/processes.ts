import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { processSearchAttributes } from '../workflows/contracts';
import { withTemporalDeadline, type ApiDeps } from './deps';
import { AppError } from './errors';

/**
 * Starts a process whose workflow id the caller derived from its Idempotency-Key: a retry finds the
 * first start (replayed), and the same key with a different request (another fingerprint) is refused.
 */
export async function startProcessOnce(
  deps: ApiDeps,
  start: {
    workflowType: string;
    workflowId: string;
    args: unknown[];
    requestFingerprint: string;
    searchAttributes: ReturnType<typeof processSearchAttributes>;
    what: string;
  },
): Promise<{ replayed: boolean }> {
  try {
    await withTemporalDeadline(deps, () =>
      deps.temporal.workflow.start(start.workflowType, {
        taskQueue: deps.taskQueue,
        workflowId: start.workflowId,
        args: start.args,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        memo: { requestFingerprint: start.requestFingerprint },
        typedSearchAttributes: start.searchAttributes,
      }),
    );
    return { replayed: false };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const description = await withTemporalDeadline(deps, () => deps.temporal.workflow.getHandle(start.workflowId).describe());
    if (description.memo?.requestFingerprint !== start.requestFingerprint) {
      throw new AppError(409, 'idempotency_key_reused', `this Idempotency-Key was already used for a different ${start.what}`);
    }
    return { replayed: true };
  }
}
