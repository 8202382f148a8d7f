import { afterEach, describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import { type GlobalSocketEffect, globalSocketMachine, REPLACED } from '../../src/machines/globalSocket.js';

afterEach(() => {
  vi.useRealTimers();
});

const a = { name: 'a' };
const b = { name: 'b' };
const c = { name: 'c' };
const nameOf = (user: unknown) => (user as { name: string }).name;

/** The machine, started, with every effect it emits written down as a short line. */
function start() {
  const actor = createActor(globalSocketMachine);
  const effects: string[] = [];
  actor.on('*', (effect: GlobalSocketEffect) => {
    switch (effect.type) {
      case 'connectSocket':
      case 'retire':
        effects.push(`${effect.type} ${nameOf(effect.user)}`);
        break;
      case 'deliver':
        effects.push(`deliver ${effect.event} to ${nameOf(effect.user)}`);
        break;
      case 'connectFailed':
        effects.push(`connectFailed ${nameOf(effect.user)}`);
        break;
      case 'closeHeld':
        effects.push(`closeHeld ${effect.code ?? '-'}`);
        break;
      default:
        effects.push(`${effect.type} ${String((effect.request as { name?: string }).name)}`);
    }
  });
  actor.start();
  const connect = (user: object, releaseTimeout = 100) =>
    actor.send({ type: 'connect', user, releaseTimeout });
  const platform = (event: 'open' | 'message' | 'error' | 'close') =>
    actor.send({ type: `platform.${event}`, payload: {} });
  const phase = () =>
    (actor.getSnapshot().value as { socket: { held?: { phase?: unknown } } | string }).socket;
  return { actor, effects, connect, platform, phase };
}

describe('globalSocketMachine', () => {
  it('emits each effect after its step: a listener handed the open reads the holder as open', () => {
    const { actor, connect, platform } = start();
    const seen: unknown[] = [];
    actor.on('deliver', () => seen.push(actor.getSnapshot().value));
    connect(a);
    platform('open');
    expect(seen).toEqual([{ socket: { held: { phase: 'open', successor: 'none' } }, ghost: 'clear' }]);
  });

  it('makes the next socket only after the holder reported its close, and replaces the one that waited before', () => {
    const { effects, connect, platform } = start();
    connect(a);
    platform('open');
    connect(b);
    connect(c);
    expect(effects).toEqual([
      'connectSocket a',
      'deliver open to a',
      `closeHeld ${REPLACED.code}`,
      'retire a',
      'retire b',
    ]);
    effects.length = 0;
    platform('close');
    // a heard its one close already: the platform's close is not handed to it.
    expect(effects).toEqual(['connectSocket c']);
  });

  it('closes a holder replaced while CONNECTING the moment it opens, and hands it nothing', () => {
    const { effects, connect, platform } = start();
    connect(a);
    connect(b);
    platform('open');
    platform('message');
    platform('close');
    expect(effects).toEqual(['connectSocket a', 'retire a', `closeHeld ${REPLACED.code}`, 'connectSocket b']);
  });

  it("lets a holder closing at its owner's request, or failed, keep its own close", () => {
    const { actor, effects, connect, platform } = start();
    connect(a);
    platform('open');
    actor.send({ type: 'close', user: a, request: { name: 'close-a' } });
    connect(b);
    platform('close');
    expect(effects).toEqual([
      'connectSocket a',
      'deliver open to a',
      'closeSocket close-a',
      'deliver close to a',
      'connectSocket b',
    ]);
    effects.length = 0;
    platform('error');
    connect(c);
    platform('close');
    expect(effects).toEqual(['deliver error to b', 'deliver close to b', 'connectSocket c']);
  });

  it('answers the close of a connection that does not hold the socket with success, without the platform', () => {
    const { actor, effects, connect } = start();
    connect(a);
    connect(b);
    actor.send({ type: 'close', user: b, request: { name: 'close-b' } });
    actor.send({ type: 'close', user: a, request: { name: 'close-a' } });
    expect(effects.slice(2)).toEqual(['closeDone close-b', 'closeDone close-a']);
  });

  it('closes a socket whose close its owner did not ask for, in case it is a given-up one misread as the holder’s', () => {
    const { effects, connect, platform } = start();
    connect(a);
    platform('open');
    platform('close');
    expect(effects).toEqual(['connectSocket a', 'deliver open to a', 'deliver close to a', 'closeHeld -']);
  });

  it("gives the holder up after the first waiting connection's releaseTimeout, and drops its late close until the newcomer is heard from", () => {
    vi.useFakeTimers();
    const { effects, connect, platform } = start();
    connect(a);
    platform('open');
    connect(b, 100);
    connect(c, 5000);
    vi.advanceTimersByTime(99);
    expect(effects).not.toContain('connectSocket c');
    vi.advanceTimersByTime(1);
    expect(effects.slice(-1)).toEqual(['connectSocket c']);
    effects.length = 0;
    // The old socket's close, as the platform replaces it: not c's.
    platform('close');
    platform('open');
    platform('close');
    expect(effects).toEqual(['deliver open to c', 'deliver close to c', 'closeHeld -']);
  });

  it("drops a given-up socket's late error too, but not once the newcomer opened", () => {
    vi.useFakeTimers();
    const { effects, connect, platform } = start();
    connect(a);
    connect(b, 10);
    vi.advanceTimersByTime(10);
    effects.length = 0;
    platform('error');
    platform('open');
    platform('error');
    expect(effects).toEqual(['deliver open to b', 'deliver error to b']);
  });

  it("reports the holder's failed connect call to it and hands the socket on; a retired holder's to nobody", () => {
    const { actor, effects, connect } = start();
    connect(a);
    actor.send({ type: 'connect.failed', user: a, error: 'fail' });
    expect(effects).toEqual(['connectSocket a', 'connectFailed a']);
    effects.length = 0;
    connect(b);
    connect(c);
    actor.send({ type: 'connect.failed', user: b, error: 'fail' });
    expect(effects).toEqual(['connectSocket b', 'retire b', 'connectSocket c']);
  });

  it('ignores the failed connect call of a connection that no longer holds the socket', () => {
    vi.useFakeTimers();
    const { actor, effects, connect, phase } = start();
    connect(a);
    connect(b, 10);
    vi.advanceTimersByTime(10);
    effects.length = 0;
    actor.send({ type: 'connect.failed', user: a, error: 'late' });
    expect(effects).toEqual([]);
    expect(phase()).toEqual({ held: { phase: 'connecting', successor: 'none' } });
  });
});
