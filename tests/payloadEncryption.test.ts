import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncryptionCodec } from '../api/payloadCodec';
import { taskProgressQuery, workflowIds } from '../workflows/contracts';
import { sampleIntake, startHarness, type Harness } from './helpers/harness';
import { triageOnlyPolicy } from './helpers/policies';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.usePolicy(triageOnlyPolicy);
});
afterAll(() => h?.stop());

describe('Temporal histories', () => {
  it('hold what people submitted only sealed, while the processes read it as usual', async () => {
    const name = `Claims triage ${randomBytes(4).toString('hex')}`;
    const purpose = `Ranks the claims of policyholder ${randomBytes(4).toString('hex')} by fraud likelihood`;
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name, purpose }) });
    expect(filed.status).toBe(202);
    const systemId = filed.body.systemId as string;
    const triage = await h.openTask(systemId, 'intake_triage');
    expect((await h.decide(triage.id, 'lead', 'accept', { comment: `approved for ${name}` })).status).toBe(200);
    await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result();

    // What the Temporal server stores, fetched without any codec.
    const stored = async (workflowId: string) => {
      const { history } = await h.temporal.workflowService.getWorkflowExecutionHistory({ namespace: h.temporalNamespace, execution: { workflowId } });
      return Buffer.from(temporal.api.history.v1.History.encode(history!).finish()).toString('latin1');
    };
    for (const workflowId of [workflowIds.intake(systemId), workflowIds.task(triage.id)]) {
      const raw = await stored(workflowId);
      expect(raw).toContain('binary/encrypted');
      for (const clear of [name, purpose, 'approved for', h.people.owner.email]) expect(raw).not.toContain(clear);
    }
    // Through the client's codec the task reads as it always did.
    const progress = await h.temporal.workflow.getHandle(workflowIds.task(triage.id)).query(taskProgressQuery);
    expect(progress.votes).toEqual([expect.objectContaining({ actorId: 'lead', choice: 'accept' })]);
    expect((await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body.system.name).toBe(name);
  });
});

describe('the encryption codec', () => {
  const payload = defaultPayloadConverter.toPayload({ name: 'Fraud scorer', owner: 'olivia@example.test' });

  it('opens with any key it holds, so a rotation keeps old histories readable, and refuses an unknown key', async () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const [sealed] = await new EncryptionCodec([oldKey]).encode([payload]);
    expect(Buffer.from(sealed.data!).toString('latin1')).not.toContain('Fraud scorer');
    const [opened] = await new EncryptionCodec([newKey, oldKey]).decode([sealed]);
    expect(defaultPayloadConverter.fromPayload(opened)).toEqual({ name: 'Fraud scorer', owner: 'olivia@example.test' });
    await expect(new EncryptionCodec([newKey]).decode([sealed])).rejects.toThrow('no payload decryption key');
  });

  it('refuses a sealed payload that was altered, and passes through one written before encryption', async () => {
    const key = randomBytes(32);
    const codec = new EncryptionCodec([key]);
    const [sealed] = await codec.encode([payload]);
    const altered = Buffer.from(sealed.data!);
    altered[20] ^= 1;
    await expect(codec.decode([{ ...sealed, data: altered }])).rejects.toThrow();
    expect(await codec.decode([payload])).toEqual([payload]);
  });
});
