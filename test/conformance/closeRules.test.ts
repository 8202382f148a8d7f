// Close arguments the documents disagree on: the kit accepts a refusal or an acceptance, never calls either a bug.
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { SocketTaskLike } from '../../src/adapters/types.js';
import { checkTrace } from '../../src/conformance/checkTrace.js';
import { judgeClose } from '../../src/conformance/closeRules.js';
import { recordSocketTask } from '../../src/conformance/recorder.js';
import type { Trace } from '../../src/conformance/trace.js';

describe('judgeClose', () => {
  it.each([
    [1000, undefined, 'either', { verdict: 'valid', code: 1000 }],
    [4000, 'bye', 'either', { verdict: 'valid', code: 4000 }],
    [1001, undefined, 'either', { verdict: 'contested', code: 1001 }],
    [1011, undefined, 'either', { verdict: 'contested', code: 1011 }],
    [1000.5, undefined, 'either', { verdict: 'contested', code: 1000 }],
    [3000.5, undefined, 'either', { verdict: 'contested', code: 3000 }],
    ['1000', undefined, 'either', { verdict: 'contested', code: 1000 }],
    [1005, undefined, 'either', { verdict: 'invalid' }],
    [1006, undefined, 'either', { verdict: 'invalid' }],
    [2999, undefined, 'either', { verdict: 'invalid' }],
    [5000, undefined, 'either', { verdict: 'invalid' }],
    [1000, 'é'.repeat(62), 'either', { verdict: 'invalid' }],
    [1001, undefined, 'whatwg', { verdict: 'invalid' }],
    [1000.5, undefined, 'whatwg', { verdict: 'valid', code: 1000 }],
    ['1000', undefined, 'whatwg', { verdict: 'valid', code: 1000 }],
  ] as const)('close(%o, %o) under the %s rule is %o', (code, reason, rule, expected) => {
    const verdict = judgeClose(code, reason, rule);
    expect(verdict).toMatchObject(expected);
    // Each verdict names the documents it comes from.
    expect(verdict.source).toMatch(/seeds|WHATWG|RFC 6455/);
  });
});

describe('checkTrace on close arguments the documents disagree on', () => {
  const closeCall = (code: unknown, outcome: 'success' | 'fail'): Trace => [
    { type: 'event', event: 'open' },
    { type: 'call', call: 'close', id: 1, code },
    { type: 'callback', id: 1, callback: outcome },
    { type: 'callback', id: 1, callback: 'complete' },
    ...(outcome === 'success'
      ? ([
          {
            type: 'event',
            event: 'close',
            code: typeof code === 'number' ? Math.round(code) : 1000,
            reason: '',
          },
        ] as Trace)
      : []),
  ];
  const aborts = { closeWhileConnecting: 'aborts' } as const;

  it.each([1001, 1000.5, '1000'])('accepts close(%o) refused or accepted', (code) => {
    expect(checkTrace(closeCall(code, 'fail'), aborts)).toEqual([]);
    expect(checkTrace(closeCall(code, 'success'), aborts)).toEqual([]);
  });

  it('holds an accepted contested close to what follows: a message after it is not allowed in CLOSING', () => {
    const trace: Trace = [
      { type: 'event', event: 'open' },
      { type: 'call', call: 'send', id: 2, data: 'x' },
      { type: 'callback', id: 2, callback: 'success' },
      { type: 'callback', id: 2, callback: 'complete' },
      { type: 'call', call: 'close', id: 1, code: 1001 },
      { type: 'callback', id: 1, callback: 'success' },
      { type: 'callback', id: 1, callback: 'complete' },
      { type: 'call', call: 'send', id: 3, data: 'y' },
      { type: 'callback', id: 3, callback: 'success' },
      { type: 'callback', id: 3, callback: 'complete' },
    ];
    expect(checkTrace(trace, aborts).map((v) => v.property)).toEqual(['send-outcome']);
  });

  it('still refuses what every document forbids, and says which documents: close(1005) accepted', () => {
    const [violation] = checkTrace(closeCall(1005, 'success'), aborts);
    expect(violation?.property).toBe('close-outcome');
    expect(violation?.message).toMatch(
      /the model predicts fail \(seeds, WHATWG and RFC 6455 all refuse it\)/,
    );
  });

  it("with closeCodes: 'whatwg', calls an accepted close(1001) a violation citing WHATWG, and a refused close(1000.5) too", () => {
    const strict = { closeWhileConnecting: 'aborts', closeCodes: 'whatwg' } as const;
    expect(checkTrace(closeCall(1001, 'success'), strict)[0]?.message).toMatch(/predicts fail \(WHATWG/);
    expect(checkTrace(closeCall(1000.5, 'fail'), strict)[0]?.message).toMatch(/predicts success \(WHATWG/);
  });
});

/** A SocketTask straight over `ws`, whose close follows ws's own rule (RFC 6455): close(1001) is accepted. */
function wsTask(url: string): SocketTaskLike {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  ws.on('error', () => {});
  const settle = (
    run: () => void,
    options: {
      success?: (r: unknown) => void;
      fail?: (e: { errMsg: string }) => void;
      complete?: () => void;
    },
  ) => {
    try {
      run();
    } catch (error) {
      options.fail?.({ errMsg: (error as Error).message });
      options.complete?.();
      return;
    }
    options.success?.(undefined);
    options.complete?.();
  };
  return {
    send: (options) =>
      settle(() => {
        if (ws.readyState !== WebSocket.OPEN) throw new Error('not open');
        ws.send(options.data);
      }, options),
    close: (options) => settle(() => ws.close(options.code, options.reason), options),
    onOpen: (listener) => ws.on('open', () => listener({})),
    onMessage: (listener) =>
      ws.on('message', (data, binary) =>
        listener({ data: binary ? new Uint8Array(data as Buffer).slice().buffer : String(data) }),
      ),
    onError: (listener) => ws.on('error', (error) => listener({ errMsg: error.message })),
    onClose: (listener) => ws.on('close', (code, reason) => listener({ code, reason: String(reason) })),
  };
}

describe('a trace recorded over a plain ws socket', () => {
  it('close(1001), accepted and sent as 1001 as RFC 6455 allows, breaks nothing', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    const seen = new Promise<number>((resolve) =>
      server.on('connection', (socket) => socket.on('close', (code) => resolve(code))),
    );
    try {
      const { port } = server.address() as { port: number };
      const { task, trace } = recordSocketTask(wsTask(`ws://127.0.0.1:${port}`));
      const closed = new Promise<void>((resolve) => task.onClose(() => resolve()));
      await new Promise<void>((resolve) => task.onOpen(() => resolve()));
      task.close({ code: 1001 });
      await closed;
      expect(await seen).toBe(1001);
      expect(trace.map((s) => (s.type === 'event' ? s.event : s.type))).toEqual([
        'open',
        'call',
        'callback',
        'callback',
        'close',
      ]);
      expect(checkTrace(trace, { closeWhileConnecting: 'aborts' })).toEqual([]);
      expect(checkTrace(trace, { closeWhileConnecting: 'aborts', closeCodes: 'whatwg' })[0]?.property).toBe(
        'close-outcome',
      );
    } finally {
      for (const client of server.clients) client.terminate();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
