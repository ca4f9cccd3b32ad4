import { ApplicationFailure, currentUpdateInfo, workflowInfo } from '@temporalio/workflow';
import { verifyCommand, withoutProof, type CommandProof, type SignedCommandName } from '../domain/commandSignature';
import { decisionRefusals, type DecisionRefusal, type ForwardedCommand } from './contracts';

/** The failure an Update validator throws to refuse a command; the api answers by its type (api/errors.ts). */
export const commandRefusal = (type: DecisionRefusal, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

/**
 * For an Update validator: refuses a command the api did not sign for this workflow and this update
 * id, or signed too long ago. A workflow started without a key (before commands were signed) takes
 * its commands unsigned, as it always did.
 */
export function refuseUnsignedCommand(commandKey: string | undefined, name: SignedCommandName, request: { signed?: CommandProof }): void {
  if (!commandKey) return;
  const command = { name, workflowId: workflowInfo().workflowId, updateId: currentUpdateInfo()!.id, args: withoutProof(request) };
  const verdict = verifyCommand(commandKey, command, request.signed, Date.now());
  if (verdict === 'expired') {
    throw commandRefusal(decisionRefusals.commandExpired, "the command's signature has expired; send it again");
  }
  if (verdict !== 'valid') {
    throw commandRefusal(decisionRefusals.commandNotSigned, 'the command is not signed by aims-flow for this workflow');
  }
}

/** The command as an accepting Update handler received it, for passing on by a signal. */
export const forwardedCommand = (name: SignedCommandName): ForwardedCommand => ({
  name,
  workflowId: workflowInfo().workflowId,
  updateId: currentUpdateInfo()!.id,
});

/**
 * For a signal that passes a person's command on: true when the api signed it, as `forwarded` says.
 * Its freshness was judged when the first workflow accepted it, so a late signal still counts.
 */
export function isSignedForward(commandKey: string | undefined, message: { forwarded?: ForwardedCommand; signed?: CommandProof }): boolean {
  if (!commandKey) return true;
  const { forwarded, ...command } = message;
  if (!forwarded) return false;
  return verifyCommand(commandKey, { ...forwarded, args: withoutProof(command) }, command.signed, Number.NEGATIVE_INFINITY) === 'valid';
}
