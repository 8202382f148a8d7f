// Baidu publishes no typings this project installs: `swan` is declared here as its documentation describes it
// (https://smartprogram.baidu.com/docs/develop/api/net/websocket_swan-connectSocket/), and must fit baiduAdapter's
// structural option type with no cast.
import { baiduAdapter } from '../../../src/adapters/baidu.js';
import type { SocketAdapter } from '../../../src/adapters/types.js';

interface SwanCallbacks<Ok> {
  success?: (res: Ok) => void;
  fail?: (res: { errMsg: string }) => void;
  complete?: (res: { errMsg: string }) => void;
}

interface SwanSocketTask {
  send(option: { data: string | ArrayBuffer } & SwanCallbacks<{ errMsg: string }>): void;
  close(option: { code?: number; reason?: string } & SwanCallbacks<{ errMsg: string }>): void;
  onOpen(callback: (res: { header: Record<string, string> }) => void): void;
  onClose(callback: (res: { code: number; reason: string }) => void): void;
  onError(callback: (res: { errMsg: string }) => void): void;
  onMessage(callback: (res: { data: string | ArrayBuffer }) => void): void;
}

interface Swan {
  connectSocket(
    option: { url: string; header?: Record<string, string>; protocols?: string[] } & SwanCallbacks<{
      errMsg: string;
      socketTaskId: number;
    }>,
  ): SwanSocketTask;
  request(option: { url: string; method?: 'GET' | 'POST' }): { abort(): void };
}

declare const swan: Swan;

export const adapter: SocketAdapter = baiduAdapter({ swan });

// @ts-expect-error: the adapter takes `{ swan }`, not `swan` itself.
baiduAdapter(swan);

const requestOnly = { request: swan.request };
// @ts-expect-error: a platform object without connectSocket is not `swan`.
baiduAdapter({ swan: requestOnly });

// @ts-expect-error: swan.request returns a RequestTask, not a SocketTask.
baiduAdapter({ swan: { connectSocket: swan.request } });

declare const silentTask: Omit<SwanSocketTask, 'onClose'>;
// @ts-expect-error: a task without onClose is not a SocketTask.
baiduAdapter({ swan: { connectSocket: () => silentTask } });
