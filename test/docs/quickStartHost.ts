// The platform a README quick start runs on, in a child process: `tsx test/docs/quickStartHost.ts <platform>
// <snippet.mjs> <ws://127.0.0.1:port>`. It installs the platform global the snippet uses (the project's fake `wx`,
// `uni` or `Taro`, or a global `WebSocket`) over real `ws` sockets, then imports the snippet. The fakes resolve
// `wss://example.com` to the local server, as a hosts file would, so the snippet runs as written: its `wss://`
// url passes the mini-programs' secure-url check unchanged.
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { createTaroWeapp } from '../fixtures/platforms/taroMiniProgram.js';
import { createFakeUni } from '../fixtures/platforms/uni.js';
import { createFakeWx } from '../fixtures/platforms/wechat.js';

const [platform, snippet, server] = process.argv.slice(2) as [string, string, string];

// A Proxy keeps ws's overloaded constructor type and its statics (OPEN, CLOSED, ...), which a subclass would not.
const ExampleComIsLocal = new Proxy(WebSocket, {
  construct: (Target, [address, ...rest]: unknown[]) =>
    new Target(String(address).replace(/^wss:\/\/example\.com/, server), ...(rest as [])),
});

const scope = globalThis as Record<string, unknown>;
if (platform === 'wechat') scope.wx = createFakeWx({ WebSocket: ExampleComIsLocal });
else if (platform === 'uni-app')
  scope.uni = createFakeUni({ WebSocket: ExampleComIsLocal, runtime: 'mp-weixin' });
else if (platform === 'taro') scope.Taro = createTaroWeapp({ WebSocket: ExampleComIsLocal }).Taro;
else if (platform === 'browser') scope.WebSocket = ExampleComIsLocal;
else throw new Error(`quickStartHost: unknown platform ${platform}`);

await import(pathToFileURL(snippet).href);
