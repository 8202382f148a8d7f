import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallOptions, CloseEvent, SocketAdapter } from '../../src/adapters/types.js';
import { createConnection } from '../../src/connection/createConnection.js';
import { abortingProfile, wechatProfile } from '../fixtures/fakeSocketTask.js';
import { ListeningTask } from '../fixtures/listeningTask.js';
import { propertySeed } from '../helpers.js';
import {
  expectClosesCleanly,
  expectNothingEscaped,
  expectSocketTaskError,
  numRuns,
  STATES,
  URL,
  useFakeTimers,
  watchEscapes,
} from './harness.js';

const seed = propertySeed('fuzz/events', `numRuns=${numRuns}`);
watchEscapes();

beforeEach(useFakeTimers);
afterEach(() => {
  vi.useRealTimers();
});

type Behaviour = 'succeeds' | 'fails' | 'throws' | 'silent';

/**
 * A hand-written task of a custom adapter: it reports whatever the test tells it to, in any order (a second open,
 * a message after the close, a close before the open), in the shapes the adapter contract names.
 */
class LooseTask extends ListeningTask {
  closeRequested = false;
  closed = false;
  opened = false;

  constructor(private readonly behaviour: { send: Behaviour; close: Behaviour }) {
    super();
  }

  private call(behaviour: Behaviour, name: string, callbacks: CallOptions): void {
    if (behaviour === 'throws') throw new Error(`${name} threw`);
    if (behaviour === 'silent') return;
    if (behaviour === 'fails') callbacks.fail?.({ errMsg: `${name}:fail` });
    else callbacks.success?.(undefined);
    callbacks.complete?.();
  }

  send(options: { data: string | ArrayBuffer } & CallOptions): void {
    this.call(this.behaviour.send, 'send', options);
  }
  close(options: CallOptions): void {
    this.closeRequested = true;
    this.call(this.behaviour.close, 'close', options);
  }
  override emit(kind: 'open' | 'message' | 'error' | 'close', event: unknown): void {
    if (kind === 'open') this.opened = true;
    if (kind === 'close') this.closed = true;
    super.emit(kind, event);
  }
}

const text = fc.string({ unit: 'binary', maxLength: 30 });
/** Events in the contract's shapes, with anything the shapes allow inside. */
const shapedEvent = fc.oneof(
  fc.record({
    kind: fc.constant('open' as const),
    event: fc
      .option(fc.dictionary(text, text, { maxKeys: 3 }))
      .map((header) => (header === null ? {} : { header })),
  }),
  fc.record({
    kind: fc.constant('message' as const),
    event: fc
      .oneof(
        text,
        fc.uint8Array({ maxLength: 16 }).map((b) => b.buffer as ArrayBuffer),
      )
      .map((data) => ({ data })),
  }),
  fc.record({
    kind: fc.constant('error' as const),
    event: fc.record({ errMsg: text, code: fc.oneof(text, fc.integer()) }, { requiredKeys: ['errMsg'] }),
  }),
  fc.record({
    kind: fc.constant('close' as const),
    event: fc.record({
      code: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(1000, 1001, 1005, 1006, 1008)),
      reason: text,
    }),
  }),
);

const behaviour = fc.constantFrom<Behaviour>('succeeds', 'fails', 'throws', 'silent');

describe('a custom adapter whose tasks report anything, in any order', () => {
  it('only documented errors come out, each send settles once, and the connection closes cleanly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          profile: fc.constantFrom(wechatProfile, abortingProfile),
          asyncConnect: fc.boolean(),
          send: behaviour,
          close: behaviour,
          reconnect: fc.boolean(),
          heartbeat: fc.boolean(),
          holdUntilReady: fc.boolean(),
        }),
        fc.array(
          fc.oneof(
            fc.record({ to: fc.constant('task' as const), task: fc.nat(), shaped: shapedEvent }),
            fc.record({ to: fc.constant('send' as const), data: text }),
            fc.record({ to: fc.constant('time' as const), ms: fc.nat(2000) }),
            fc.record({ to: fc.constant('ready' as const) }),
          ),
          { maxLength: 25 },
        ),
        async (config, steps) => {
          const tasks: LooseTask[] = [];
          const adapter: SocketAdapter = {
            name: 'loose',
            profile: config.profile,
            connect() {
              const task = new LooseTask(config);
              tasks.push(task);
              return config.asyncConnect ? Promise.resolve(task) : task;
            },
          };
          const conn = createConnection({
            url: URL,
            adapter,
            errorGrace: 100,
            closeTimeout: 100,
            connectTimeout: 1000,
            ...(config.reconnect ? { reconnect: { initialDelay: 10, maxDelay: 50, maxRetries: 3 } } : {}),
            ...(config.heartbeat ? { heartbeat: { interval: 300, timeout: 200 } } : {}),
            queue: { holdUntilReady: config.holdUntilReady, maxMessages: 5 },
          });
          const closes: CloseEvent[] = [];
          conn.onClose((event) => closes.push(event));
          let sends = 0;
          let settled = 0;
          for (const s of steps) {
            if (s.to === 'task') {
              const task = tasks.length === 0 ? undefined : tasks[s.task % tasks.length];
              task?.emit(s.shaped.kind, s.shaped.event);
            } else if (s.to === 'send') {
              sends++;
              conn.send(s.data).then(
                () => void settled++,
                (error: unknown) => {
                  settled++;
                  expectSocketTaskError(error);
                },
              );
            } else if (s.to === 'ready') conn.ready();
            else await vi.advanceTimersByTimeAsync(s.ms);
            expect(STATES).toContain(conn.state);
          }
          const last = await expectClosesCleanly(conn, () => {
            for (const task of tasks) {
              if (!task.opened && !task.closed) task.emit('open', {});
              if (task.closeRequested && !task.closed) task.emit('close', { code: 1000, reason: '' });
            }
          });
          await vi.advanceTimersByTimeAsync(1000);
          // Every send settled once: written, or failed with a documented code.
          expect(settled).toBe(sends);
          // The connection's last close is the one `closed` reports; never more closes than sockets and attempts.
          expect(closes.at(-1)).toEqual(last);
          await expectNothingEscaped();
        },
      ),
      { seed, numRuns },
    );
  });
});
