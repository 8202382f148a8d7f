// QQ publishes no typings: `qq` is declared here as its documentation describes it
// (https://q.qq.com/wiki/develop/miniprogram/API/network/network_websocket.html), and must fit qqAdapter's
// structural option type with no cast.
import { qqAdapter } from '../../../src/adapters/qq.js';
import type { SocketAdapter } from '../../../src/adapters/types.js';

interface QqCallbacks<Ok> {
  success?: (res: Ok) => void;
  fail?: (res: { errMsg: string }) => void;
  complete?: (res: { errMsg: string }) => void;
}

interface QqSocketTask {
  send(option: { data: string | ArrayBuffer } & QqCallbacks<{ errMsg: string }>): void;
  close(option: { code?: number; reason?: string } & QqCallbacks<{ errMsg: string }>): void;
  onOpen(callback: (res: { header: Record<string, string> }) => void): void;
  onClose(callback: (res: { code: number; reason: string }) => void): void;
  onError(callback: (res: { errMsg: string }) => void): void;
  onMessage(callback: (res: { data: string | ArrayBuffer }) => void): void;
}

interface Qq {
  connectSocket(
    option: { url: string; header?: Record<string, string>; protocols?: string[] } & QqCallbacks<{
      errMsg: string;
    }>,
  ): QqSocketTask;
  request(option: { url: string; method?: 'GET' | 'POST' }): { abort(): void };
}

declare const qq: Qq;

export const adapter: SocketAdapter = qqAdapter({ qq });

// @ts-expect-error: the adapter takes `{ qq }`, not `qq` itself.
qqAdapter(qq);

const requestOnly = { request: qq.request };
// @ts-expect-error: a platform object without connectSocket is not `qq`.
qqAdapter({ qq: requestOnly });

// @ts-expect-error: qq.request returns a RequestTask, not a SocketTask.
qqAdapter({ qq: { connectSocket: qq.request } });

declare const silentTask: Omit<QqSocketTask, 'onClose'>;
// @ts-expect-error: a task without onClose is not a SocketTask.
qqAdapter({ qq: { connectSocket: () => silentTask } });
