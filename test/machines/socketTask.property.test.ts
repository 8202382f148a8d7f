import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Actor, createActor } from 'xstate';
import {
  type SocketTaskEvent,
  type SocketTaskProfile,
  socketTaskMachine,
} from '../../src/machines/socketTask.js';
import { READY_STATE, type ReadyStateName } from '../../src/readyState.js';
import { isReadyStateEdge, readyStateName, socketTaskReadyStateEdges } from '../fixtures/readyStateGraph.js';
import { propertySeed } from '../helpers.js';

const numRuns = Number(process.env.FC_RUNS ?? 300);
const seed = propertySeed('socketTask.property', `numRuns=${numRuns}`);

/** What the test remembers of the trace so far, to state the properties independently of the machine. */
interface Model {
  readonly profile: SocketTaskProfile;
  seenOpen: boolean;
  seenError: boolean;
  seenClose: boolean;
  readyStates: ReadyStateName[];
}

interface Real {
  actor: Actor<typeof socketTaskMachine>;
  emitted: string[];
}

type Command = fc.Command<Model, Real>;

const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

function describeValue(value: unknown): string {
  if (value instanceof ArrayBuffer) return `ArrayBuffer(${value.byteLength})`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.byteLength})`;
  if (typeof value === 'string')
    return value.length > 20 ? `"${value.slice(0, 8)}…"(${value.length})` : JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value) ?? String(value);
}

function isErrored(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.values(value)[0] === 'errored';
}

/** Sends `event` and checks the properties every step must keep; returns what the model emitted for it. */
function step(model: Model, real: Real, event: SocketTaskEvent): string[] {
  const before = real.actor.getSnapshot();
  const from = readyStateName(before);
  const emittedBefore = real.emitted.length;
  real.actor.send(event);
  const after = real.actor.getSnapshot();
  const to = readyStateName(after);
  if (from !== to) {
    expect(isReadyStateEdge(socketTaskReadyStateEdges(model.profile), from, to), `${from} → ${to}`).toBe(
      true,
    );
    expect(READY_STATE[to]).toBeGreaterThan(READY_STATE[from]);
    model.readyStates.push(to);
  }
  return real.emitted.slice(emittedBefore);
}

/** Once CLOSED the actor is done: nothing is allowed and the test sends nothing more (XState would only warn). */
function expectFinal(real: Real, event: SocketTaskEvent): void {
  const snapshot = real.actor.getSnapshot();
  expect(snapshot.value).toBe('CLOSED');
  expect(snapshot.status).toBe('done');
  expect(snapshot.can(event)).toBe(false);
}

class SendCommand implements Command {
  constructor(
    readonly data: unknown,
    readonly valid: boolean,
  ) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const event: SocketTaskEvent = { type: 'user.send', data: this.data };
    if (real.actor.getSnapshot().status === 'done') {
      expectFinal(real, event);
      return;
    }
    const wasLive = real.actor.getSnapshot().matches({ OPEN: 'live' });
    const value = real.actor.getSnapshot().value;
    const outcome = step(model, real, event);
    expect(outcome).toEqual([wasLive && this.valid ? 'send.accepted' : 'send.rejected']);
    expect(real.actor.getSnapshot().value).toEqual(value);
  }
  toString(): string {
    return `send(${describeValue(this.data)})`;
  }
}

class CloseCommand implements Command {
  constructor(
    readonly args: { code?: unknown; reason?: unknown },
    readonly valid: boolean,
  ) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const event: SocketTaskEvent = { type: 'user.close', ...this.args };
    if (real.actor.getSnapshot().status === 'done') {
      expectFinal(real, event);
      return;
    }
    const before = real.actor.getSnapshot();
    const from = readyStateName(before);
    const outcome = step(model, real, event);
    const after = real.actor.getSnapshot();
    if (!this.valid) {
      expect(outcome).toEqual(['close.rejected']);
      expect(after.value).toEqual(before.value);
    } else if (from === 'CONNECTING' && model.profile.closeWhileConnecting === 'ignored') {
      // The platform ignores it (docs/platforms.md#close-before-open); not even the errored sub-state changes.
      expect(outcome).toEqual(['close.ignored']);
      expect(after.value).toEqual(before.value);
    } else if (from === 'CLOSING') {
      expect(outcome).toEqual(['close.ignored']);
      expect(after.value).toEqual(before.value);
    } else {
      expect(outcome).toEqual(['close.accepted']);
      expect(readyStateName(after)).toBe('CLOSING');
    }
  }
  toString(): string {
    const parts = Object.entries(this.args).map(([k, v]) => `${k}: ${describeValue(v)}`);
    return `close({ ${parts.join(', ')} })`;
  }
}

/**
 * A platform event the model does not allow (`snapshot.can(event)` false) is not something a conforming
 * platform may do, so it is skipped; the test still checks that the rejection is one the seeds imply.
 */
class PlatformCommand implements Command {
  constructor(readonly event: Extract<SocketTaskEvent, { type: `platform.${string}` }>) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const snapshot = real.actor.getSnapshot();
    const state = readyStateName(snapshot);
    const errored = isErrored(snapshot.value);
    const allowed = snapshot.can(this.event);
    if (state === 'CLOSED') {
      expect(allowed, 'nothing is allowed after CLOSED').toBe(false);
      expectFinal(real, this.event);
      return;
    }
    switch (this.event.type) {
      case 'platform.open':
        expect(allowed).toBe(state === 'CONNECTING' && !errored);
        if (model.seenOpen || model.seenError || model.seenClose) expect(allowed).toBe(false);
        break;
      case 'platform.message':
        // Messages flow while OPEN and while CLOSING drains, never after an error, never on a socket that never opened.
        expect(allowed).toBe((state === 'OPEN' || state === 'CLOSING') && !errored && model.seenOpen);
        break;
      case 'platform.error':
      case 'platform.close':
        expect(allowed).toBe(true);
        break;
    }
    if (!allowed) return;
    const outcome = step(model, real, this.event);
    const after = real.actor.getSnapshot();
    switch (this.event.type) {
      case 'platform.open':
        model.seenOpen = true;
        expect(after.value).toEqual({ OPEN: 'live' });
        expect(outcome).toEqual([]);
        break;
      case 'platform.message':
        expect(outcome).toEqual(['message.delivered']);
        expect(after.value).toEqual(snapshot.value);
        break;
      case 'platform.error':
        model.seenError = true;
        expect(outcome).toEqual(['error.reported']);
        expect(readyStateName(after)).toBe(state);
        break;
      case 'platform.close':
        model.seenClose = true;
        expect(after.value).toBe('CLOSED');
        expect(after.status).toBe('done');
        break;
    }
  }
  toString(): string {
    const { type, ...rest } = this.event;
    const args = Object.values(rest).map(describeValue).join(', ');
    return `${type}(${args})`;
  }
}

const validData = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer({ min: 0, max: 8 }).map((n) => new ArrayBuffer(n)),
  fc.integer({ min: 0, max: 8 }).map((n) => new Uint8Array(n)),
);
const invalidData = fc.oneof(
  fc.integer(),
  fc.constantFrom(null, undefined, true),
  fc.constant({ kind: 'object' }),
  fc.constant(['array']),
);

const validCode = fc.oneof(fc.constant(undefined), fc.constant(1000), fc.integer({ min: 3000, max: 4999 }));
const invalidCode = fc.oneof(
  fc.integer({ min: -100_000, max: 999 }),
  fc.integer({ min: 1001, max: 2999 }),
  fc.integer({ min: 5000, max: 100_000 }),
  fc.double({ min: 0, max: 6000, noNaN: true }).filter((n) => !Number.isInteger(n)),
  fc.constantFrom<unknown>(Number.NaN, Number.POSITIVE_INFINITY, '1000', null, true),
);
// Byte lengths are measured with TextEncoder, independently of the library's own counter.
const validReason = fc.oneof(
  fc.constant(undefined),
  fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => utf8Bytes(s) <= 123),
  fc.integer({ min: 0, max: 41 }).map((n) => '中'.repeat(n)),
  fc.integer({ min: 0, max: 30 }).map((n) => `${'😀'.repeat(n)}abc`),
);
const invalidReason = fc.oneof(
  fc.integer({ min: 42, max: 60 }).map((n) => '中'.repeat(n)),
  fc.integer({ min: 124, max: 200 }).map((n) => 'a'.repeat(n)),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => `${s}${'😀'.repeat(31)}`),
  fc.constantFrom<unknown>(42, null, { text: 'bye' }),
);

function closeArgs(code: unknown, reason: unknown): { code?: unknown; reason?: unknown } {
  return { ...(code === undefined ? {} : { code }), ...(reason === undefined ? {} : { reason }) };
}

const commands = fc.commands(
  [
    validData.map((data) => new SendCommand(data, true)),
    invalidData.map((data) => new SendCommand(data, false)),
    fc.tuple(validCode, validReason).map(([c, r]) => new CloseCommand(closeArgs(c, r), true)),
    fc
      .oneof(
        fc.tuple(invalidCode, validReason),
        fc.tuple(validCode, invalidReason),
        fc.tuple(invalidCode, invalidReason),
      )
      .map(([c, r]) => new CloseCommand(closeArgs(c, r), false)),
    fc.constant(new PlatformCommand({ type: 'platform.open' })),
    fc.string({ maxLength: 4 }).map((data) => new PlatformCommand({ type: 'platform.message', data })),
    fc.constant(new PlatformCommand({ type: 'platform.error', errMsg: 'network error' })),
    fc
      .constantFrom(1000, 1006, 4000)
      .map((code) => new PlatformCommand({ type: 'platform.close', code, reason: '' })),
  ],
  { maxCommands: 25 },
);

describe.each([
  ['ignored', { closeWhileConnecting: 'ignored' }],
  ['aborts', { closeWhileConnecting: 'aborts' }],
] as const)(
  "socketTaskMachine on the '%s' profile, random commands and platform events",
  (_name, profile) => {
    it('only moves forward along the allowed readyState graph, never leaves CLOSED, and answers every command as the seeds say', () => {
      let longest: ReadyStateName[] = [];
      fc.assert(
        fc.property(commands, (cmds) => {
          const setup = () => {
            const actor = createActor(socketTaskMachine, { input: { profile } });
            const emitted: string[] = [];
            actor.on('*', (event) => emitted.push(event.type));
            actor.start();
            const model: Model = {
              profile,
              seenOpen: false,
              seenError: false,
              seenClose: false,
              readyStates: ['CONNECTING'],
            };
            return { model, real: { actor, emitted } };
          };
          const run = setup();
          fc.modelRun(() => run, cmds);
          const trace = run.model.readyStates;
          if (trace.length > longest.length) longest = trace;
          for (let i = 1; i < trace.length; i++) {
            expect(READY_STATE[trace[i] as ReadyStateName]).toBeGreaterThan(
              READY_STATE[trace[i - 1] as ReadyStateName],
            );
          }
          if (trace.includes('CLOSED')) expect(trace.at(-1)).toBe('CLOSED');
        }),
        { seed, numRuns },
      );
      // Guards against a generator that never gets past CONNECTING and so proves nothing.
      expect(longest.length).toBeGreaterThanOrEqual(3);
    });
  },
);
