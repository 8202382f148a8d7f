// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, createApp, effectScope, h } from 'vue';
import { nodeAdapter } from '../../src/adapters/node.js';
import type { MessageEvent, SocketAdapter } from '../../src/adapters/types.js';
import { type Connection, createConnection } from '../../src/connection/createConnection.js';
import type { ConnectionOptions } from '../../src/options/connectionOptions.js';
import { type UseConnectionReturn, useConnection, useMessage } from '../../src/vue/index.js';
import { builtSubpath } from '../fixtures/builtSubpath.js';
import { echo, startWsServer, type TestWsServer } from '../fixtures/wsServer.js';
import { expectError, thrown, until, within } from '../helpers.js';

const FAST_RETRY = { initialDelay: 50, maxDelay: 50, jitter: 'none' } as const;

let server: TestWsServer;
let apps: App[] = [];
let connections: Connection[] = [];

beforeEach(async () => {
  server = await startWsServer({ onConnection: echo });
});

afterEach(async () => {
  for (const app of apps) app.unmount();
  apps = [];
  await Promise.all(connections.map((conn) => conn.close().catch(() => {})));
  connections = [];
  await server.stop();
});

/** A node adapter that counts the sockets it was asked for. */
function countingAdapter(): SocketAdapter & { readonly sockets: number } {
  const adapter = nodeAdapter();
  let sockets = 0;
  return {
    name: adapter.name,
    profile: adapter.profile,
    connect(options) {
      sockets++;
      return adapter.connect(options);
    },
    get sockets() {
      return sockets;
    },
  };
}

function options(extra: Partial<ConnectionOptions> = {}): ConnectionOptions {
  return { url: server.url, adapter: nodeAdapter(), reconnect: FAST_RETRY, ...extra };
}

/**
 * Mounts a component that calls `setup` and renders `[status] last message` into a new element; every rendered text
 * is recorded in order.
 */
function mount(setup: () => UseConnectionReturn) {
  const element = document.createElement('div');
  document.body.append(element);
  const rendered: string[] = [];
  let returned: UseConnectionReturn | undefined;
  const app = createApp({
    setup() {
      const result = setup();
      returned = result;
      return () => {
        const text = `[${result.status.value}] ${result.lastMessage.value?.data ?? ''}`;
        rendered.push(text);
        return h('p', text);
      };
    },
  });
  app.mount(element);
  apps.push(app);
  if (!returned) throw new Error('setup did not run');
  const result = returned;
  return {
    element,
    rendered,
    result,
    text: () => element.textContent ?? '',
    unmount: () => {
      app.unmount();
      apps = apps.filter((a) => a !== app);
    },
  };
}

describe('useConnection (Vue)', () => {
  it('renders the status and follows a server drop through waiting back to open', async () => {
    const view = mount(() => useConnection(options()));
    connections.push(view.result.connection);
    expect(view.text()).toBe('[connecting] ');
    await until(() => view.text() === '[open] ', 'the component to render open');

    (await server.connection(0)).socket.terminate();
    await until(() => view.text() === '[waiting] ', 'the component to render waiting');
    await until(() => view.text() === '[open] ', 'the component to render open again');
    expect(server.connections).toHaveLength(2);
    const shown = view.rendered.filter((text, i) => text !== view.rendered[i - 1]);
    expect(shown.slice(0, 3)).toEqual(['[connecting] ', '[open] ', '[waiting] ']);
    expect(shown.at(-1)).toBe('[open] ');
  });

  it('gives state, retries and nextRetryAt as refs that follow the connection', async () => {
    const view = mount(() => useConnection(options()));
    const { state, retries, nextRetryAt, connection } = view.result;
    connections.push(connection);
    await until(() => state.value === 'OPEN', 'state OPEN');
    (await server.connection(0)).socket.terminate();
    await until(() => nextRetryAt.value !== null, 'nextRetryAt while waiting');
    expect(state.value).toBe('CLOSED');
    expect(retries.value).toBe(connection.retries);
    expect(nextRetryAt.value).toBe(connection.nextRetryAt);
    await until(() => state.value === 'OPEN', 'state OPEN again');
    expect(nextRetryAt.value).toBeNull();
    expect(retries.value).toBe(connection.retries);
  });

  it('renders the last message and calls useMessage handlers with the message event', async () => {
    const received: MessageEvent[] = [];
    const view = mount(() => {
      const chat = useConnection(options());
      useMessage(chat.connection, (event) => received.push(event));
      return chat;
    });
    connections.push(view.result.connection);
    await until(() => view.result.status.value === 'open', 'open');
    await view.result.send('hello');
    await until(() => view.text() === '[open] hello', 'the echo to render');
    expect(received).toEqual([{ data: 'hello' }]);
    expect(view.result.lastMessage.value).toEqual({ data: 'hello' });
  });

  it('counts a message sent before open in queue at once, and empties it on open', async () => {
    const view = mount(() => useConnection(options()));
    connections.push(view.result.connection);
    const sent = view.result.send('early');
    expect(view.result.queue.value).toEqual({ messages: 1, bytes: 5 });
    await within(sent, 'the queued send');
    await until(() => view.result.queue.value.messages === 0, 'the queue to empty');
    expect((await (await server.connection(0)).message(0)).data.toString()).toBe('early');
  });

  it('starts a new attempt through the returned reconnect', async () => {
    const view = mount(() => useConnection(options()));
    connections.push(view.result.connection);
    await until(() => view.text() === '[open] ', 'open');
    view.result.reconnect();
    await server.connection(1);
    await until(() => view.text() === '[open] ', 'open on the new socket');
    expect((await server.connection(0)).close?.code).toBe(1000);
  });

  it('closes the connection it created when the component unmounts', async () => {
    const view = mount(() => useConnection(options()));
    const { connection } = view.result;
    await until(() => view.text() === '[open] ', 'open');
    view.unmount();
    await within(connection.closed, 'closed to settle');
    expect(connection.status).toBe('closed');
    expect((await (await server.connection(0)).closed).code).toBe(1000);
  });

  it('leaves a connection passed in open when the component unmounts, and stops updating', async () => {
    const connection = createConnection(options());
    connections.push(connection);
    const view = mount(() => useConnection(connection));
    expect(view.result.connection).toBe(connection);
    await until(() => view.text() === '[open] ', 'open');
    const { status } = view.result;
    view.unmount();
    await connection.send('after unmount');
    await (await server.connection(0)).message(0);
    expect(connection.status).toBe('open');
    expect(server.connections[0]?.close).toBeUndefined();
    await connection.close();
    expect(status.value).toBe('open');
  });

  it('makes one socket per component, however often it renders', async () => {
    const adapter = countingAdapter();
    const view = mount(() => useConnection(options({ adapter })));
    connections.push(view.result.connection);
    await until(() => view.text() === '[open] ', 'open');
    await view.result.send('one');
    await until(() => view.text() === '[open] one', 'a render for the echo');
    expect(adapter.sockets).toBe(1);
  });
});

describe('useConnection and useMessage in an effect scope', () => {
  it('closes a created connection when the scope is stopped, and its refs stop following it', async () => {
    const scope = effectScope();
    const chat = scope.run(() => useConnection(options()));
    if (!chat) throw new Error('the scope returned nothing');
    await until(() => chat.status.value === 'open', 'open');
    scope.stop();
    await within(chat.connection.closed, 'closed to settle');
    expect(chat.connection.status).toBe('closed');
    expect(chat.status.value).toBe('open');
  });

  it('unsubscribes a useMessage handler when its scope is stopped, and leaves the connection open', async () => {
    const connection = createConnection(options());
    connections.push(connection);
    const received: unknown[] = [];
    const scope = effectScope();
    scope.run(() => useMessage(connection, ({ data }) => received.push(data)));
    await connection.send('first');
    await until(() => received.length === 1, 'the first echo');
    scope.stop();
    const later: unknown[] = [];
    connection.onMessage(({ data }) => later.push(data));
    await connection.send('second');
    await until(() => later.length === 1, 'the second echo');
    expect(received).toEqual(['first']);
    expect(connection.status).toBe('open');
  });

  it('works outside any scope and never closes the connection it created', async () => {
    const chat = useConnection(options());
    connections.push(chat.connection);
    const stop = useMessage(chat, () => {});
    await until(() => chat.status.value === 'open', 'open outside a scope');
    stop();
    expect(chat.connection.status).toBe('open');
  });
});

describe('bad input (Vue)', () => {
  it('refuses what is neither options nor a connection with ERR_INVALID_OPTIONS naming the fix', () => {
    for (const value of [42, 'ws://x', null, undefined, [options()]]) {
      expectError(
        thrown(() => useConnection(value as never)),
        'ERR_INVALID_OPTIONS',
        /^useConnection\(\): pass connection options such as \{ url, adapter \} or a Connection from createConnection\(\), got /,
      );
    }
  });

  it('passes invalid options on to createConnection, which names the problem', () => {
    expectError(
      thrown(() => useConnection({ url: server.url, adapter: nodeAdapter(), retry: 3 } as never)),
      'ERR_INVALID_OPTIONS',
      /^createConnection\(\): unknown option "retry"/,
    );
  });

  it('refuses a handler that is not a function with ERR_INVALID_CALLBACK, and a target that is not a connection', () => {
    const connection = createConnection(options({ startClosed: true }));
    connections.push(connection);
    expectError(
      thrown(() => useMessage(connection, 'log' as never)),
      'ERR_INVALID_CALLBACK',
      /^useMessage\(\): the handler must be a function such as \(\{ data \}\) => \{\.\.\.\}, got "log"$/,
    );
    expectError(
      thrown(() => useMessage({ url: server.url } as never, () => {})),
      'ERR_INVALID_OPTIONS',
      /^useMessage\(\): the first argument must be a Connection/,
    );
  });
});

describe('the built package', () => {
  it('resolves socket-task-machine/vue for import and require, exporting useConnection and useMessage', () => {
    expect(builtSubpath('vue')).toEqual({
      import: { file: 'dist/vue/index.js', names: ['useConnection', 'useMessage'] },
      require: { file: 'dist/vue/index.cjs', names: ['useConnection', 'useMessage'] },
    });
  });
});
