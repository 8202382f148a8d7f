import { describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import { nodeProfile } from '../../src/adapters/node.js';
import {
  type SocketTaskEvent,
  type SocketTaskProfile,
  socketTaskMachine,
} from '../../src/machines/socketTask.js';
import { wechatProfile } from '../fixtures/fakeSocketTask.js';

const ignored: SocketTaskProfile = { closeWhileConnecting: 'ignored' };
const aborts: SocketTaskProfile = { closeWhileConnecting: 'aborts' };

const open = { type: 'platform.open' } as const;
const message = { type: 'platform.message', data: 'hi' } as const;
const error = { type: 'platform.error', errMsg: 'network error' } as const;
const close = { type: 'platform.close', code: 1000, reason: '' } as const;
const platformEvents: SocketTaskEvent[] = [open, message, error, close];

function startTask(profile: SocketTaskProfile) {
  const actor = createActor(socketTaskMachine, { input: { profile } });
  const emitted: string[] = [];
  actor.on('*', (event) => emitted.push(event.type));
  actor.start();
  const value = () => actor.getSnapshot().value;
  /** Sends `event` and returns what the model emitted for it. */
  const send = (event: SocketTaskEvent): string[] => {
    const before = emitted.length;
    actor.send(event);
    return emitted.slice(before);
  };
  return { actor, emitted, value, send };
}

type Task = ReturnType<typeof startTask>;

const reach: Record<'CONNECTING' | 'OPEN' | 'CLOSING', (task: Task) => void> = {
  CONNECTING: () => {},
  OPEN: (task) => task.send(open),
  CLOSING: (task) => {
    task.send(open);
    task.send({ type: 'user.close' });
  },
};

describe("socketTaskMachine on the 'ignored' profile (WeChat, QQ, Baidu devices)", () => {
  it('changes nothing and emits close.ignored when closed while CONNECTING (docs/platforms.md#close-before-open)', () => {
    const task = startTask(ignored);
    expect(task.send({ type: 'user.close', code: 1000, reason: 'bye' })).toEqual(['close.ignored']);
    expect(task.value()).toEqual({ CONNECTING: 'handshake' });
    expect(task.actor.getSnapshot().can(open)).toBe(true);
  });

  it('still opens after an ignored close, and a close while OPEN then takes effect', () => {
    const task = startTask(ignored);
    task.send({ type: 'user.close' });
    task.send(open);
    expect(task.value()).toEqual({ OPEN: 'live' });
    expect(task.send({ type: 'user.close' })).toEqual(['close.accepted']);
    expect(task.value()).toEqual({ CLOSING: 'draining' });
    task.send(close);
    expect(task.value()).toBe('CLOSED');
  });
});

describe("socketTaskMachine on the 'aborts' profile (browsers, ws)", () => {
  it('moves to CLOSING on a close while CONNECTING, then to CLOSED on the platform close', () => {
    const task = startTask(aborts);
    expect(task.send({ type: 'user.close' })).toEqual(['close.accepted']);
    expect(task.value()).toEqual({ CLOSING: 'aborting' });
    expect(task.actor.getSnapshot().can(open)).toBe(false);
    task.send({ type: 'platform.close', code: 1006, reason: '' });
    expect(task.value()).toBe('CLOSED');
  });

  it('does not allow a message after a handshake aborted before open', () => {
    const task = startTask(aborts);
    task.send({ type: 'user.close' });
    expect(task.actor.getSnapshot().can(message)).toBe(false);
  });

  it('allows the error a browser reports when a handshake is aborted, before the close', () => {
    const task = startTask(aborts);
    task.send({ type: 'user.close' });
    expect(task.actor.getSnapshot().can(error)).toBe(true);
    expect(task.send(error)).toEqual(['error.reported']);
    expect(task.value()).toEqual({ CLOSING: 'errored' });
    task.send(close);
    expect(task.actor.getSnapshot().status).toBe('done');
  });
});

describe.each([
  ['ignored', ignored],
  ['aborts', aborts],
] as const)("socketTaskMachine on the '%s' profile", (_name, profile) => {
  it('accepts valid sends and delivers messages while OPEN', () => {
    const task = startTask(profile);
    task.send(open);
    expect(task.send({ type: 'user.send', data: 'text' })).toEqual(['send.accepted']);
    expect(task.send({ type: 'user.send', data: new ArrayBuffer(2) })).toEqual(['send.accepted']);
    expect(task.send({ type: 'user.send', data: new Uint8Array(3) })).toEqual(['send.accepted']);
    expect(task.send(message)).toEqual(['message.delivered']);
    expect(task.value()).toEqual({ OPEN: 'live' });
  });

  it.each([
    ['a number', 42],
    ['an object', { a: 1 }],
    ['null', null],
    ['undefined', undefined],
  ])('rejects send of %s while OPEN without changing state', (_label, data) => {
    const task = startTask(profile);
    task.send(open);
    expect(task.send({ type: 'user.send', data })).toEqual(['send.rejected']);
    expect(task.value()).toEqual({ OPEN: 'live' });
  });

  it('rejects send in CONNECTING, in CLOSING and after an error while OPEN', () => {
    const connecting = startTask(profile);
    expect(connecting.send({ type: 'user.send', data: 'x' })).toEqual(['send.rejected']);
    expect(connecting.value()).toEqual({ CONNECTING: 'handshake' });

    const closing = startTask(profile);
    reach.CLOSING(closing);
    expect(closing.send({ type: 'user.send', data: 'x' })).toEqual(['send.rejected']);

    const errored = startTask(profile);
    errored.send(open);
    errored.send(error);
    expect(errored.value()).toEqual({ OPEN: 'errored' });
    expect(errored.send({ type: 'user.send', data: 'x' })).toEqual(['send.rejected']);
  });

  const invalidCloseArgs: Array<[string, { code?: unknown; reason?: unknown }]> = [
    ['reserved code 1001', { code: 1001 }],
    ['code 999', { code: 999 }],
    ['reserved code 2999', { code: 2999 }],
    ['code 5000', { code: 5000 }],
    ['non-integer code 1000.5', { code: 1000.5 }],
    ["string code '1000'", { code: '1000' }],
    ['a reason of 124 ASCII bytes', { code: 1000, reason: 'a'.repeat(124) }],
    ['a reason of 42 × 中 (126 bytes)', { reason: '中'.repeat(42) }],
    ['a reason of 31 × 😀 (124 bytes)', { reason: '😀'.repeat(31) }],
    ['a reason that is not a string', { reason: 42 }],
  ];
  for (const state of ['CONNECTING', 'OPEN', 'CLOSING'] as const) {
    it.each(invalidCloseArgs)(`rejects close with %s in ${state} without changing state`, (_label, args) => {
      const task = startTask(profile);
      reach[state](task);
      const before = task.value();
      expect(task.send({ type: 'user.close', ...args })).toEqual(['close.rejected']);
      expect(task.value()).toEqual(before);
    });
  }

  it.each([
    ['123 ASCII bytes', 'a'.repeat(123)],
    ['41 × 中 (123 bytes)', '中'.repeat(41)],
    ['30 × 😀 + 3 ASCII (123 bytes)', `${'😀'.repeat(30)}abc`],
    ['an empty reason', ''],
  ])('accepts a close reason of %s while OPEN', (_label, reason) => {
    const task = startTask(profile);
    task.send(open);
    expect(task.send({ type: 'user.close', code: 4000, reason })).toEqual(['close.accepted']);
    expect(task.value()).toEqual({ CLOSING: 'draining' });
  });

  it.each([1000, 3000, 4999, undefined])('accepts close code %s while OPEN', (code) => {
    const task = startTask(profile);
    task.send(open);
    expect(task.send({ type: 'user.close', code })).toEqual(['close.accepted']);
    expect(task.value()).toEqual({ CLOSING: 'draining' });
  });

  it('ignores a second close while CLOSING and keeps delivering messages until CLOSED', () => {
    const task = startTask(profile);
    reach.CLOSING(task);
    expect(task.send({ type: 'user.close' })).toEqual(['close.ignored']);
    expect(task.send(message)).toEqual(['message.delivered']);
    expect(task.value()).toEqual({ CLOSING: 'draining' });
  });

  it('does not allow a message while CONNECTING', () => {
    const task = startTask(profile);
    expect(task.actor.getSnapshot().can(message)).toBe(false);
  });

  it.each(['CONNECTING', 'OPEN', 'CLOSING'] as const)(
    'is final once the platform closes from %s: status done, no event allowed, no command answered',
    (state) => {
      const task = startTask(profile);
      reach[state](task);
      task.send(close);
      const snapshot = task.actor.getSnapshot();
      expect(snapshot.value).toBe('CLOSED');
      expect(snapshot.status).toBe('done');
      for (const event of platformEvents) expect(snapshot.can(event)).toBe(false);

      // XState warns when a stopped actor is sent an event; that warning is the expected outcome here.
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        expect(task.send({ type: 'user.send', data: 'x' })).toEqual([]);
        expect(task.send({ type: 'user.close' })).toEqual([]);
        expect(task.send(open)).toEqual([]);
      } finally {
        warn.mockRestore();
      }
      expect(task.actor.getSnapshot().value).toBe('CLOSED');
    },
  );

  it.each(['CONNECTING', 'OPEN', 'CLOSING'] as const)(
    'goes to CLOSED when an error in %s is followed by a close',
    (state) => {
      const task = startTask(profile);
      reach[state](task);
      expect(task.send(error)).toEqual(['error.reported']);
      expect(task.value()).toEqual({ [state]: 'errored' });
      expect(task.send(error)).toEqual(['error.reported']);
      task.send({ type: 'platform.close', code: 1006, reason: '' });
      expect(task.value()).toBe('CLOSED');
      expect(task.actor.getSnapshot().status).toBe('done');
    },
  );

  it.each(['CONNECTING', 'OPEN', 'CLOSING'] as const)(
    'may end in the errored sub-state of %s when no close follows the error; only error or close may come next',
    (state) => {
      const task = startTask(profile);
      reach[state](task);
      task.send(error);
      const snapshot = task.actor.getSnapshot();
      expect(snapshot.value).toEqual({ [state]: 'errored' });
      expect(snapshot.status).toBe('active');
      expect(snapshot.can(open)).toBe(false);
      expect(snapshot.can(message)).toBe(false);
      expect(snapshot.can(error)).toBe(true);
      expect(snapshot.can(close)).toBe(true);
    },
  );
});

describe('socketTaskMachine profile input', () => {
  it("takes an adapter's whole PlatformProfile, so a socket can be checked against the profile it declares", () => {
    const task = createActor(socketTaskMachine, { input: { profile: nodeProfile } }).start();
    task.send({ type: 'user.close' });
    expect(task.getSnapshot().value).toEqual({ CLOSING: 'aborting' });
    const wechat = createActor(socketTaskMachine, { input: { profile: wechatProfile } }).start();
    wechat.send({ type: 'user.close' });
    expect(wechat.getSnapshot().value).toEqual({ CONNECTING: 'handshake' });
  });
});
