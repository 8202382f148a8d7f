// Complaint 11 of test/peers.test.ts: the library type-checks in Node without the DOM lib, every entry point included.

import { alipayAdapter } from '../../../src/adapters/alipay.js';
import { nodeAdapter } from '../../../src/adapters/node.js';
import { taroAdapter } from '../../../src/adapters/taro.js';
import { uniAdapter } from '../../../src/adapters/uni-app.js';
import { webAdapter } from '../../../src/adapters/web.js';
import { wechatAdapter } from '../../../src/adapters/wechat.js';
import {
  type AbortSignalLike,
  createConnection,
  createLifecycle,
  type LifecycleSource,
  SocketTaskError,
} from '../../../src/index.js';
import { connectionMachine, socketTaskMachine } from '../../../src/machines/index.js';
import * as reactBindings from '../../../src/react/index.js';
import * as vueBindings from '../../../src/vue/index.js';

const lifecycle: LifecycleSource = createLifecycle();
// Node's own AbortSignal is the library's AbortSignalLike as it is.
const signal: AbortSignalLike = new AbortController().signal;
const conn = createConnection({
  url: 'ws://127.0.0.1:8080',
  adapter: nodeAdapter(),
  lifecycle,
  queue: { maxMessages: 10, holdUntilReady: true },
  signal,
});
conn.onOpen(() => conn.ready());
conn.send(new Uint8Array([1, 2, 3])).catch((error: unknown) => error instanceof SocketTaskError);
const stats: { messages: number; bytes: number } = conn.queue;
void stats;
void [
  webAdapter,
  connectionMachine,
  socketTaskMachine,
  wechatAdapter,
  uniAdapter,
  taroAdapter,
  alipayAdapter,
  reactBindings,
  vueBindings,
];
