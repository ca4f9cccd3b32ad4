import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIds } from '../../workflows/contracts';
import { isPolling, submitActionForm } from '../helpers/harness';
import { triageOnlyPolicy } from '../helpers/policies';
import { expectNothingLost, fileIntake, openTriage, startFaultPlatform, untilAccepted, type FaultPlatform } from './platform';

const intakes = Number(process.env.FAULTS_R1_INTAKES ?? 200);
const parallel = 20;
const killEveryMs = 3_000;
const maxKills = 80;

let p: FaultPlatform;
beforeAll(async () => {
  p = await startFaultPlatform({ policy: triageOnlyPolicy });
});
afterAll(() => p?.stop());

/** Files one intake and has a governance lead decide its triage: by API, or from the emailed link. */
async function fileAndDecide(index: number): Promise<{ systemId: string; expected: 'active' | 'rejected' }> {
  const name = `Fault R1 system ${index}`;
  const systemId = await fileIntake(p, name);
  const task = await openTriage(p, systemId);

  if (index % 2 === 0) {
    await untilAccepted(
      (key) =>
        p.api('POST', `/api/v1/tasks/${task.id}/decision`, {
          as: 'lead',
          body: { decision: 'accept', snapshotHash: task.subjectHash },
          headers: { 'idempotency-key': key },
        }),
      (response) => response.status === 200,
    );
    return { systemId, expected: 'active' };
  }
  const email = await p.h.mail.waitFor((mail) => mail.to.includes(p.h.people.lead2.email) && mail.subject.endsWith(`: ${name}`), 180_000);
  const link = email.links.find((href) => href.includes('/actions/'))!;
  // As a person would: submit again after a 503 ("retry later"), a few seconds at a time, for a while.
  const giveUpAt = Date.now() + 180_000;
  for (;;) {
    const answer = await submitActionForm(link, { choice: 'reject' });
    if (answer.status === 200) break;
    if (answer.status !== 503) throw new Error(`the action page answered ${answer.status}: ${await answer.text()}`);
    if (Date.now() > giveUpAt) throw new Error('the action page answered 503 for three minutes');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return { systemId, expected: 'rejected' };
}

describe('R1: two workers, one SIGKILLed every few seconds', () => {
  // Longer than the other scenarios' bound: 200 intakes under kills took about 9 minutes on this machine.
  it(`brings ${intakes} intakes through triage decisions, by API and email link, each to its outcome`, { timeout: 900_000 }, async () => {
    p.startWorker();
    p.startWorker();
    let done = false;
    let kills = 0;
    const running = () => p.workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);
    const killing = (async () => {
      while (!done && kills < maxKills) {
        await new Promise((resolve) => setTimeout(resolve, killEveryMs));
        if (done) break;
        // The oldest dies while another serves: a kill mid-boot, over and over, would only test boot time.
        const [victim, ...others] = running();
        const serving = (await Promise.all(others.map((worker) => isPolling(p.h, worker.child)))).some(Boolean);
        if (victim && serving) {
          await p.kill(victim);
          kills++;
        }
        if (running().length < 2) p.startWorker();
      }
    })();

    const started = Date.now();
    const outcomes: { systemId: string; expected: 'active' | 'rejected' }[] = [];
    let next = 0;
    try {
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          while (next < intakes) outcomes.push(await fileAndDecide(next++));
        }),
      );
      for (const { systemId, expected } of outcomes) {
        expect(await p.h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result()).toMatchObject({ state: expected });
      }
    } finally {
      done = true;
      await killing;
    }
    const tookSeconds = Math.round((Date.now() - started) / 1000);

    expect(kills).toBeGreaterThan(0);
    const { resent } = await expectNothingLost(p, { systemIds: outcomes.map((outcome) => outcome.systemId), resendsAtMost: kills });
    const emails = p.h.mail.messages.length;
    console.info(`R1: ${intakes} intakes decided and ended in ${tookSeconds} s with ${kills} worker kills; ${emails} emails, ${resent} of them re-sent once`);
    const { rows } = await p.h.pool.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM ai_systems GROUP BY state ORDER BY state');
    expect(rows).toEqual([
      { state: 'active', n: Math.ceil(intakes / 2) },
      { state: 'rejected', n: Math.floor(intakes / 2) },
    ]);
  });
});
