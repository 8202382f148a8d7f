// The implementations of the compatibility table (docs/conformance.md), in its row order. Importing this module
// loads none of them: each one's libraries are imported when its row runs, so the staleness check can read the
// list cheaply.
import type { SocketAdapter } from '../../src/adapters/types.js';
import type { Connect } from '../../src/conformance/checkSocketTask.js';
import type { SocketTaskProfile } from '../../src/machines/socketTask.js';
import type { ChromiumPage } from './browser.js';

/** What a row needs while it runs; `close` ends everything `open` started. */
export interface OpenedImplementation {
  connect: Connect;
  /** How it treats a close while CONNECTING (an adapter's own profile; `'aborts'` for a WHATWG socket). */
  profile: SocketTaskProfile;
  close(): Promise<void>;
}

/** Shared between rows: one Chromium for every row that runs in a page, launched on first use. */
export interface RunContext {
  chromium(): Promise<ChromiumPage>;
}

export interface Implementation {
  /** The row's label. */
  name: string;
  /** What runs, for the doc. */
  what: string;
  /** Scenarios per seed. */
  numRuns: number;
  /** One search per seed; fixed, so that the table can be replayed. */
  seeds: readonly number[];
  open(context: RunContext): Promise<OpenedImplementation>;
}

/** The bar ("Done when"): plain ws, undici and Chromium pass at 1,000 runs on two seeds. */
const FULL = { numRuns: 1000, seeds: [17_001, 17_002] } as const;
/** The rest: one seed, enough runs to meet every kind of scenario step several times. */
const QUICK = { numRuns: 200, seeds: [17_001] } as const;

const aborts: SocketTaskProfile = { closeWhileConnecting: 'aborts' };
const nothingToClose = async () => {};

async function wsClass() {
  return (await import('ws')).WebSocket;
}

/** The thinnest task over a WHATWG-style WebSocket class running in Node. */
function overClass(load: () => Promise<new (url: string, protocols?: string[]) => unknown>) {
  return async (): Promise<OpenedImplementation> => {
    const [Socket, { taskOverWebSocket }] = await Promise.all([load(), import('./whatwgTask.js')]);
    return {
      connect: ({ url, protocols }) =>
        taskOverWebSocket((protocols ? new Socket(url, protocols) : new Socket(url)) as never),
      profile: aborts,
      close: nothingToClose,
    };
  };
}

/** One of this library's adapters; `make` builds it (over its fake platform, or a real socket class). */
function adapterRow(
  name: string,
  what: string,
  make: () => Promise<SocketAdapter>,
  runs: { numRuns: number; seeds: readonly number[] } = QUICK,
): Implementation {
  return {
    name,
    what,
    ...runs,
    open: async () => {
      const adapter = await make();
      return {
        connect: (target) => adapter.connect(target),
        profile: adapter.profile,
        close: nothingToClose,
      };
    },
  };
}

/** Taro's H5 `connectSocket`, over `Socket` as the global `WebSocket` it reads (see taro.ts). */
function taroRow(name: string, socketName: string, load: () => Promise<unknown>): Implementation {
  return {
    name,
    what: `\`@tarojs/taro-h5\`'s \`connectSocket\` (the H5 build of \`Taro.connectSocket\`), with ${socketName} as the global \`WebSocket\``,
    ...QUICK,
    open: async () => {
      const [{ loadTaroH5ConnectSocket }, Socket] = await Promise.all([import('./taro.js'), load()]);
      return loadTaroH5ConnectSocket(Socket);
    },
  };
}

function fakes() {
  return Promise.all([import('ws'), import('./fakes.js')]).then(([ws, f]) => ({
    WebSocket: ws.WebSocket,
    ...f,
  }));
}

export const implementations: readonly Implementation[] = [
  {
    name: 'ws (raw task)',
    what: "`ws`'s `WebSocket` behind the thinnest task (scripts/conformance/whatwgTask.ts)",
    ...FULL,
    open: overClass(wsClass),
  },
  adapterRow(
    'ws (node adapter)',
    "this library's node adapter (`socket-task-machine/adapters/node`), over `ws`",
    async () => (await import('../../src/adapters/node.js')).nodeAdapter(),
    FULL,
  ),
  {
    name: 'undici (raw task)',
    what: "undici's WHATWG `WebSocket` behind the thinnest task",
    ...FULL,
    open: overClass(async () => (await import('undici')).WebSocket as never),
  },
  adapterRow('undici (web adapter)', "this library's web adapter over undici's `WebSocket`", async () => {
    const [{ webAdapter }, { WebSocket }] = await Promise.all([
      import('../../src/adapters/web.js'),
      import('undici'),
    ]);
    return webAdapter({ WebSocket: WebSocket as never });
  }),
  {
    name: 'Chromium (raw task)',
    what: "headless Chromium's `WebSocket` behind the thinnest task, run in a page (the trace is recorded there)",
    ...FULL,
    open: async (context) => (await context.chromium()).open('raw'),
  },
  {
    name: 'Chromium (web adapter)',
    what: "this library's web adapter over Chromium's `WebSocket`, run in a page",
    ...QUICK,
    open: async (context) => (await context.chromium()).open('web-adapter'),
  },
  taroRow('Taro H5 over ws', "`ws`'s `WebSocket`", wsClass),
  taroRow('Taro H5 over undici', "undici's `WebSocket`", async () => (await import('undici')).WebSocket),
  {
    name: 'websocket (W3CWebSocket)',
    what: "the `websocket` package's `W3CWebSocket` behind the thinnest task",
    ...QUICK,
    open: overClass(async () => (await import('websocket')).default.w3cwebsocket as never),
  },
  adapterRow('web adapter over ws', "this library's web adapter over `ws`'s `WebSocket`", async () =>
    (await import('../../src/adapters/web.js')).webAdapter({ WebSocket: (await wsClass()) as never }),
  ),
  ...(
    [
      ['wechat', 'wechat'],
      ['wechat legacy', 'wechatLegacy'],
      ['qq', 'qq'],
      ['baidu', 'baidu'],
      ['douyin', 'douyin'],
      ['alipay', 'alipay'],
      ['alipay (flat payloads)', 'alipayFlat'],
      ['uni-app (H5)', 'uniH5'],
      ['uni-app (App)', 'uniApp'],
      ['uni-app (mp-weixin)', 'uniWeixin'],
      ['taro (weapp)', 'taroWeapp'],
      ['taro (h5)', 'taroH5'],
    ] as const
  ).map(([name, key]) =>
    adapterRow(
      `${name} adapter (fake)`,
      `this library's ${name} adapter over the project's fake ${name} platform (test/fixtures/platforms/), itself over \`ws\``,
      async () => {
        const f = await fakes();
        return f.adapters[key](f.WebSocket);
      },
    ),
  ),
];
