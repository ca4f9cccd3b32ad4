import { ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { isDependencyUnavailable, isUpdateRefusedForNow } from '../../api/errors';

/** An Update refused by the server with gRPC `code` and `message`, as the client raises it. */
const refusedWith = (code: number, message: string) => new ServiceError('Workflow Update failed', { cause: Object.assign(new Error(message), { code }) });

describe('an Update the server refuses for now, to be asked again', () => {
  it.each(['Workflow Task in failed state.', 'Unable to perform workflow execution update due to unexpected workflow task failure.'])(
    'asks again after "%s" (FAILED_PRECONDITION)',
    (message) => {
      expect(isUpdateRefusedForNow(refusedWith(9, message))).toBe(true);
      expect(isDependencyUnavailable(refusedWith(9, message))).toBe(true);
    },
  );

  it('does not ask again after any other refusal', () => {
    expect(isUpdateRefusedForNow(refusedWith(9, 'some other precondition failed'))).toBe(false);
    expect(isUpdateRefusedForNow(refusedWith(5, 'Workflow Task in failed state.'))).toBe(false);
    expect(isUpdateRefusedForNow(new Error('Workflow Task in failed state.'))).toBe(false);
  });
});
