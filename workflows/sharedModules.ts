/**
 * The pure modules every workflow imports, loaded once per reusable V8 context (preloadModules in
 * worker/createWorker.ts) instead of once per workflow: each workflow would otherwise build every zod
 * schema again, some 2.5 MB of heap per workflow in memory. Nothing here keeps state between calls or
 * calls the workflow API at module scope.
 *
 * The SDK deep-freezes what was preloaded so that no workflow can leak state into another. zod builds
 * some members of a schema on their first read and stores them on the schema (bound methods, parsed
 * shapes, internals), which a frozen schema refuses with a TypeError. Every such member is read here,
 * at load, so that it is stored before the freeze. And a zod pattern check resets its RegExp's
 * lastIndex before each test, which a frozen RegExp refuses: each RegExp in reach is replaced by one
 * that cannot be frozen (the SDK leaves such objects as they are) and is otherwise the same.
 */
import * as z from 'zod';
import * as assessment from '../domain/assessment';
import * as commandSignature from '../domain/commandSignature';
import * as fields from '../domain/fields';
import * as incident from '../domain/incident';
import * as lifecycle from '../domain/lifecycle';
import * as policy from '../domain/policy';
import * as principal from '../domain/principal';
import * as retirement from '../domain/retirement';
import * as review from '../domain/review';
import * as risk from '../domain/risk';
import * as seatRules from '../domain/seatRules';
import * as system from '../domain/system';
import * as task from '../domain/task';
import * as taskRefusals from '../domain/taskRefusals';
import * as triage from '../domain/triage';

/** Inputs of every shape, so each schema's first parse happens here whatever it expects. */
const firstParseInputs = [undefined, null, {}, [], '', 'x', 0, true];

/**
 * Brings every object reachable through `value`'s own properties to the state zod leaves it in after
 * use: every inherited getter read, and every schema parsed twice (zod settles some schemas only on
 * their second parse). Walked twice, since a parse can add members to what was walked before it.
 */
export function settleForFreezing(value: unknown): void {
  settle(value, new WeakSet());
  settle(value, new WeakSet());
}

function settle(value: unknown, seen: WeakSet<object>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  for (let proto = Object.getPrototypeOf(value); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Reflect.ownKeys(proto)) {
      if (Object.getOwnPropertyDescriptor(proto, key)?.get) readQuietly(value, key);
    }
  }
  if (value instanceof z.ZodType) {
    for (const input of [...firstParseInputs, ...firstParseInputs]) parseQuietly(value, input);
  }
  for (const key of Reflect.ownKeys(value)) {
    const member = readQuietly(value, key);
    if (member instanceof RegExp) replaceWithUnfreezable(value, key, member);
    else settle(member, seen);
  }
}

function replaceWithUnfreezable(holder: object, key: PropertyKey, pattern: RegExp): void {
  const descriptor = Object.getOwnPropertyDescriptor(holder, key);
  // A module's exports cannot be redefined, nor need to be: zod resets lastIndex only on its checks' own patterns.
  if (!descriptor?.configurable || !descriptor.writable) return;
  Object.defineProperty(holder, key, { ...descriptor, value: unfreezable(pattern) });
}

/**
 * A copy of the RegExp whose freezing throws: its methods run on the copy, whose lastIndex stays
 * writable. A copy, since the original may also be a module's export, which the SDK freezes.
 */
function unfreezable(pattern: RegExp): RegExp {
  return new Proxy(new RegExp(pattern.source, pattern.flags), {
    preventExtensions: () => false,
    get(target, key) {
      const member: unknown = Reflect.get(target, key, target);
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
}

/** A refinement inside a larger schema can throw on input its outer checks would have turned away. */
function parseQuietly(schema: z.ZodType, input: unknown): void {
  try {
    schema.safeParse(input);
  } catch {
    // The parse got as far as it could, which is what settling needs.
  }
}

/** A getter that cannot answer for this object now would not answer in a workflow either: it is left as it is. */
function readQuietly(target: object, key: PropertyKey): unknown {
  try {
    return Reflect.get(target, key);
  } catch {
    return undefined;
  }
}

settleForFreezing([
  z,
  assessment,
  commandSignature,
  fields,
  incident,
  lifecycle,
  policy,
  principal,
  retirement,
  review,
  risk,
  seatRules,
  system,
  task,
  taskRefusals,
  triage,
]);
