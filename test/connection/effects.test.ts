// The platform effects of a connection's tasks, driven through createConnection with adapters that misbehave.
import { describe, expect, it } from 'vitest';
import type { SocketAdapter } from '../../src/adapters/types.js';
import { createConnection } from '../../src/index.js';
import { wechatProfile } from '../fixtures/fakeSocketTask.js';

function adapterReturning(value: unknown): SocketAdapter {
  return { name: 'odd', profile: wechatProfile, connect: () => value as never };
}

describe('a connect that hands back something other than a SocketTask', () => {
  it.each([
    ['nothing', undefined, 'got undefined, without send()'],
    [
      'a task without onError',
      { send() {}, close() {}, onOpen() {}, onMessage() {}, onClose() {} },
      'onError()',
    ],
  ])(
    'reports %s as ERR_PLATFORM naming the missing method, then close 1006, and never opens',
    async (_name, value, missing) => {
      const conn = createConnection({
        url: 'wss://example.test/socket',
        adapter: adapterReturning(value),
        reconnect: false,
      });
      const seen: string[] = [];
      const errors: Array<{ code: string | number | undefined; errMsg: string }> = [];
      conn.onOpen(() => seen.push('open'));
      conn.onError((event) => {
        seen.push('error');
        errors.push({ code: event.code, errMsg: event.errMsg });
      });
      conn.onClose((event) => seen.push(`close ${event.code}`));

      await conn.closed;

      expect(seen).toEqual(['error', 'close 1006']);
      expect(errors[0]?.code).toBe('ERR_PLATFORM');
      expect(errors[0]?.errMsg).toContain('connect returned no SocketTask');
      expect(errors[0]?.errMsg).toContain(missing);
    },
  );
});
