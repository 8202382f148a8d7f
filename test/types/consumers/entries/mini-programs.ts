// Every entry a mini-program project imports (root, machines, each mini-program adapter, web, the recorder), type-checked as the
// installed package with `lib: ["ES2020"]` and no global typings at all: neither the DOM lib, nor @types/node, nor a
// vendor's. scripts/typecheck-consumers.ts compiles it under moduleResolution node10, node16 (as ESM and as CommonJS)
// and bundler, with and without skipLibCheck. No casts.
import {
  type AbortSignalLike,
  type Connection,
  createConnection,
  type SocketAdapter,
} from 'socket-task-machine';
import { type AlipayPlatform, alipayAdapter } from 'socket-task-machine/adapters/alipay';
import { type BaiduAdapterOptions, baiduAdapter } from 'socket-task-machine/adapters/baidu';
import { type DouyinAdapterOptions, douyinAdapter } from 'socket-task-machine/adapters/douyin';
import { type QqAdapterOptions, qqAdapter } from 'socket-task-machine/adapters/qq';
import { type TaroPlatform, taroAdapter } from 'socket-task-machine/adapters/taro';
import { type UniPlatform, uniAdapter } from 'socket-task-machine/adapters/uni-app';
import { type WebSocketConstructor, webAdapter } from 'socket-task-machine/adapters/web';
import {
  type MiniProgramSocketPlatform,
  type WechatLegacyPlatform,
  wechatAdapter,
  wechatLegacyAdapter,
} from 'socket-task-machine/adapters/wechat';
import {
  checkTrace,
  recordSocketTask,
  type Trace,
  type Violation,
} from 'socket-task-machine/conformance/trace';
import { connectionMachine, socketTaskMachine } from 'socket-task-machine/machines';

declare const wx: MiniProgramSocketPlatform & WechatLegacyPlatform;
declare const qq: QqAdapterOptions['qq'];
declare const swan: BaiduAdapterOptions['swan'];
declare const my: AlipayPlatform;
declare const tt: DouyinAdapterOptions['tt'];
declare const uni: UniPlatform;
declare const Taro: TaroPlatform;
declare const WebSocket: WebSocketConstructor;

// No AbortController in a mini-program: any object with these three members is a signal.
const aborts = new Set<() => void>();
const signal: AbortSignalLike = {
  aborted: false,
  addEventListener: (_type, listener) => aborts.add(listener),
  removeEventListener: (_type, listener) => aborts.delete(listener),
};

const adapters: SocketAdapter[] = [
  wechatAdapter({ wx }),
  wechatLegacyAdapter({ wx }),
  qqAdapter({ qq }),
  baiduAdapter({ swan }),
  alipayAdapter({ my }),
  douyinAdapter({ tt }),
  uniAdapter({ uni }),
  taroAdapter({ Taro }),
  webAdapter({ WebSocket }),
];

export const connections: Connection[] = adapters.map((adapter) =>
  createConnection({ url: 'wss://example.com/socket', adapter, signal }),
);
for (const connection of connections) {
  connection.onMessage(({ data }) => (typeof data === 'string' ? data.length : data.byteLength));
}
export const machines = [connectionMachine, socketTaskMachine] as const;

// The conformance recorder, on a device: record a platform task, check the trace there or send it home.
export function recordOnDevice(task: ReturnType<MiniProgramSocketPlatform['connectSocket']>): Violation[] {
  const { trace } = recordSocketTask(wechatTask(task));
  const copy: Trace = [...trace];
  return checkTrace(copy, { closeWhileConnecting: 'ignored' });
}
declare function wechatTask(
  task: ReturnType<MiniProgramSocketPlatform['connectSocket']>,
): Parameters<typeof recordSocketTask>[0];

createConnection({
  url: 'wss://example.com',
  adapter: uniAdapter({ uni }),
  // @ts-expect-error: a signal the connection could never let go of (no removeEventListener) is refused.
  signal: { aborted: false, addEventListener() {} },
});

// These settings have no DOM and no Node: were one of them to leak in (a typing's `/// <reference lib="dom" />`,
// say), the directives below would be unused, and this project would fail, as it must.
// @ts-expect-error: no DOM lib.
export type NoDom = AbortSignal;
// @ts-expect-error: no @types/node.
export type NoNode = Buffer;
