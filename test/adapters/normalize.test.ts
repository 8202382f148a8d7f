import { describe, expect, it } from 'vitest';
import { type NativeSocketTask, toCloseEvent, wrapNativeTask } from '../../src/adapters/normalize.js';
import type { CloseEvent } from '../../src/adapters/types.js';

type Kind = 'open' | 'error' | 'close';

/** A native task whose events the test plays, with the `readyState` it has when it is wrapped. */
function nativeTask(readyState?: number) {
  const listeners: Record<Kind | 'message', Array<(payload: unknown) => void>> = {
    open: [],
    message: [],
    error: [],
    close: [],
  };
  const on = (kind: Kind | 'message') => (listener: (payload: never) => void) =>
    void listeners[kind].push(listener as (payload: unknown) => void);
  const task: NativeSocketTask = {
    readyState,
    send: () => {},
    close: () => {},
    onOpen: on('open'),
    onMessage: on('message'),
    onError: on('error'),
    onClose: on('close'),
  };
  const emit = (kind: Kind, payload: unknown = {}) => {
    for (const listener of listeners[kind]) listener(payload);
  };
  return { task, emit };
}

describe('toCloseEvent', () => {
  it.each([
    [
      { code: 4000, reason: 'bye' },
      { code: 4000, reason: 'bye' },
    ],
    [
      { code: '1001', reason: 'backgrounded' },
      { code: 1001, reason: 'backgrounded' },
    ],
    [{ data: { code: 4001, reason: 'nested' } }, { code: 4001, reason: 'nested' }],
    [{ reason: 'no code' }, { code: 1006, reason: 'no code' }],
    [{ code: 70_000 }, { code: 1006, reason: '' }],
    [{ code: ' ' }, { code: 1006, reason: '' }],
    [{}, { code: 1006, reason: '' }],
    [undefined, { code: 1006, reason: '' }],
  ])(
    'reads %o as %o, taking the no-status code it is given when there is no valid code',
    (payload, event) => {
      expect(toCloseEvent(payload, 1006)).toEqual(event);
    },
  );

  it('takes 1005 (no status received) for a payload without a code when given nothing else', () => {
    expect(toCloseEvent({})).toEqual({ code: 1005, reason: '' });
  });
});

describe('wrapNativeTask: a close without a code', () => {
  it.each<[string, number | undefined, Array<[Kind, unknown?]>, CloseEvent]>([
    [
      'after open, with no error before it, is clean: 1005',
      undefined,
      [['open'], ['close']],
      { code: 1005, reason: '' },
    ],
    ['before open is abnormal: 1006', undefined, [['close']], { code: 1006, reason: '' }],
    [
      'after an error before open is abnormal: 1006',
      undefined,
      [['error'], ['close']],
      { code: 1006, reason: '' },
    ],
    [
      'after open and then an error is abnormal: 1006',
      undefined,
      [['open'], ['error'], ['close']],
      { code: 1006, reason: '' },
    ],
    [
      'after an error, even with an open reported later, is abnormal: 1006',
      undefined,
      [['error'], ['open'], ['close']],
      { code: 1006, reason: '' },
    ],
    [
      'of a task wrapped already open (readyState 1) is clean: 1005',
      1,
      [['close']],
      { code: 1005, reason: '' },
    ],
    [
      'keeps the reason it has',
      undefined,
      [['open'], ['close', { reason: 'server bye' }]],
      { code: 1005, reason: 'server bye' },
    ],
    [
      'that cannot be read (its getter throws) after open: 1005',
      undefined,
      [
        ['open'],
        [
          'close',
          {
            get code(): never {
              throw new Error('trap');
            },
          },
        ],
      ],
      { code: 1005, reason: '' },
    ],
  ])('%s', (_, readyState, events, expected) => {
    const { task, emit } = nativeTask(readyState);
    const closes: CloseEvent[] = [];
    const wrapped = wrapNativeTask(task);
    wrapped.onClose((event) => closes.push(event));
    for (const [kind, payload] of events) emit(kind, payload);
    expect(closes).toEqual([expected]);
  });

  it('reports a close that has a code with that code, whatever came before', () => {
    const { task, emit } = nativeTask();
    const closes: CloseEvent[] = [];
    wrapNativeTask(task).onClose((event) => closes.push(event));
    emit('error');
    emit('close', { code: 4002, reason: 'server bye' });
    expect(closes).toEqual([{ code: 4002, reason: 'server bye' }]);
  });
});
