// Taro's H5 connectSocket in Node. `import '@tarojs/taro-h5'` fails there: its ESM imports lodash-es files without
// their extension (Node's resolver refuses them), and @tarojs/runtime reads constants (ENABLE_INNER_HTML, ...) that
// Taro's webpack build defines. So the module that holds connectSocket is bundled with esbuild, those constants
// defined (the DOM features they switch are not used by sockets), and the bundle imported. Its SocketTask reads the global `WebSocket` when it is
// constructed: each connect sets it to the socket class under test for that one call.
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { SocketTaskLike } from '../../src/adapters/types.js';
import type { OpenedImplementation } from './implementations.js';

const ENTRY = '@tarojs/taro-h5/dist/api/network/websocket/index.js';
const DEFINES = [
  'ENABLE_INNER_HTML',
  'ENABLE_ADJACENT_HTML',
  'ENABLE_SIZE_APIS',
  'ENABLE_TEMPLATE_CONTENT',
  'ENABLE_CLONE_NODE',
  'ENABLE_CONTAINS',
  'ENABLE_MUTATION_OBSERVER',
];

type ConnectSocket = (options: { url: string; protocols?: string[] }) => Promise<SocketTaskLike>;

let loaded: Promise<ConnectSocket> | undefined;

async function load(): Promise<ConnectSocket> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    define: Object.fromEntries(DEFINES.map((name) => [name, 'false'])),
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild produced no output for ${ENTRY}`);
  const file = join(tmpdir(), `stm-taro-h5-${process.pid}.mjs`);
  writeFileSync(file, output.text);
  try {
    const module = (await import(pathToFileURL(file).href)) as { connectSocket: ConnectSocket };
    return module.connectSocket;
  } finally {
    rmSync(file, { force: true });
  }
}

/** Taro H5's `connectSocket` over `Socket`; its `console.error` on every refused send is muted while it runs. */
export async function loadTaroH5ConnectSocket(Socket: unknown): Promise<OpenedImplementation> {
  loaded ??= load();
  const connectSocket = await loaded;
  const scope = globalThis as { WebSocket?: unknown };
  const consoleError = console.error;
  console.error = () => {};
  return {
    profile: { closeWhileConnecting: 'aborts' },
    connect: ({ url, protocols }) => {
      const previous = scope.WebSocket;
      scope.WebSocket = Socket;
      try {
        // The task is constructed synchronously inside connectSocket's Promise executor.
        return connectSocket(protocols ? { url, protocols } : { url });
      } finally {
        scope.WebSocket = previous;
      }
    },
    close: async () => {
      console.error = consoleError;
    },
  };
}
