// What a report gives a person: the property, the document its rule comes from, and what happened.
import { describe, expect, it } from 'vitest';
import type { SocketTaskLike } from '../../src/adapters/types.js';
import { checkSocketTask, formatReport, searchSocketTask } from '../../src/conformance/checkSocketTask.js';
import { checkTrace } from '../../src/conformance/checkTrace.js';
import { judgeClose } from '../../src/conformance/closeRules.js';
import { recordSocketTask } from '../../src/conformance/recorder.js';
import { CONFORMANCE_PROPERTIES, PROPERTY_SOURCES, type Trace } from '../../src/conformance/trace.js';
import { propertySeed } from '../helpers.js';
import { correctTask } from './broken.js';

const seed = propertySeed('conformance.reports');
const aborts = { closeWhileConnecting: 'aborts' } as const;

describe('the sources of the rules', () => {
  it('name a document (the seeds, WHATWG or RFC 6455) for every property', () => {
    for (const property of CONFORMANCE_PROPERTIES) {
      expect(PROPERTY_SOURCES[property], property).toMatch(/seeds|WHATWG|RFC 6455/);
    }
  });

  it('come with every violation checkTrace finds', () => {
    const trace: Trace = [
      { type: 'call', call: 'send', id: 1, data: 'early' },
      { type: 'callback', id: 1, callback: 'success' },
      { type: 'event', event: 'message', data: 'too early' },
      { type: 'event', event: 'open' },
      { type: 'call', call: 'close', id: 2, code: 5000 },
      { type: 'callback', id: 2, callback: 'success' },
      { type: 'callback', id: 2, callback: 'complete' },
      { type: 'event', event: 'close', code: 1000, reason: '' },
      { type: 'event', event: 'open' },
    ];
    const violations = checkTrace(trace, aborts);
    expect(violations.map((v) => v.property)).toEqual([
      'send-outcome',
      'allowed-transition',
      'close-outcome',
      'no-open-after-close-or-error',
      'callbacks',
    ]);
    for (const v of violations) {
      if (v.property === 'close-outcome') expect(v.source).toBe('seeds, WHATWG and RFC 6455 all refuse it');
      else expect(v.source).toBe(PROPERTY_SOURCES[v.property]);
    }
  });
});

describe('recordSocketTask', () => {
  it('leaves no unhandled rejection when a platform call also returns a rejected Promise (Taro H5 send)', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const inner: SocketTaskLike & { send(options: Parameters<SocketTaskLike['send']>[0]): unknown } = {
        send: (options) => {
          options.fail?.({ errMsg: 'not open' });
          options.complete?.();
          return Promise.reject({ errMsg: 'not open' });
        },
        close: () => {},
        onOpen: () => {},
        onMessage: () => {},
        onError: () => {},
        onClose: () => {},
      };
      const { task, trace } = recordSocketTask(inner);
      task.send({ data: 'x' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(rejections).toEqual([]);
      expect(trace.map((s) => (s.type === 'callback' ? s.callback : s.type))).toEqual([
        'call',
        'fail',
        'complete',
      ]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});

describe('checkSocketTask', () => {
  it('reports message data that is neither a string nor an ArrayBuffer (a Node Buffer) as message-order, citing the seeds', async () => {
    const connect = (target: { url: string; protocols?: string[] }): SocketTaskLike => {
      const task = correctTask(target);
      return {
        ...task,
        onMessage: (listener) =>
          task.onMessage((e) =>
            listener({ data: typeof e.data === 'string' ? e.data : (new Uint8Array(e.data) as never) }),
          ),
      };
    };
    const result = await checkSocketTask({ connect, profile: aborts, numRuns: 300, seed });
    const report = formatReport(result);
    const violation = result.violations.find((v) => /carried a Uint8Array/.test(v.message));
    expect(violation?.property, report).toBe('message-order');
    expect(violation?.source).toBe('seeds (SocketTask.onMessage: data is a string or an ArrayBuffer)');
  }, 60_000);

  it('reports a close accepted against every document once, as close-outcome, and not the sends it makes fail after it', async () => {
    // Taro H5's and W3CWebSocket's bug: any close arguments are accepted, and the socket closes.
    const connect = (target: { url: string; protocols?: string[] }): SocketTaskLike => {
      const task = correctTask(target);
      return {
        ...task,
        close: (options) =>
          judgeClose(options.code, options.reason).verdict !== 'invalid'
            ? task.close(options)
            : task.close({
                success: options.success,
                fail: options.fail,
                complete: options.complete,
              } as never),
      };
    };
    const found = await searchSocketTask({ connect, profile: aborts, numRuns: 300, seed });
    expect(found.result.violations.map((v) => v.property)).toContain('close-outcome');
    const rest = await searchSocketTask(
      { connect, profile: aborts, numRuns: 300, seed },
      { ignore: ['close-outcome'] },
    );
    expect(rest.result.ok, formatReport(rest.result)).toBe(true);
  }, 60_000);
});
