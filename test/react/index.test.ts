// @vitest-environment happy-dom
import * as React from 'react';
import {
  Component,
  type ComponentType,
  createElement as h,
  type ReactNode,
  StrictMode,
  useEffect,
  useState,
} from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nodeAdapter } from '../../src/adapters/node.js';
import type { MessageEvent, SocketAdapter } from '../../src/adapters/types.js';
import { type Connection, createConnection } from '../../src/connection/createConnection.js';
import type { SocketTaskError } from '../../src/errors.js';
import type { ConnectionOptions } from '../../src/options/connectionOptions.js';
import { type UseConnectionReturn, useConnection, useMessage } from '../../src/react/index.js';
import { builtSubpath } from '../fixtures/builtSubpath.js';
import { echo, startWsServer, type TestWsServer } from '../fixtures/wsServer.js';
import { expectError, until, within } from '../helpers.js';

const FAST_RETRY = { initialDelay: 50, maxDelay: 50, jitter: 'none' } as const;

let server: TestWsServer;
let roots: Root[] = [];
let connections: Connection[] = [];

beforeEach(async () => {
  server = await startWsServer({ onConnection: echo });
});

afterEach(async () => {
  for (const root of roots) root.unmount();
  roots = [];
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

function render(node: ReactNode) {
  const element = document.createElement('div');
  document.body.append(element);
  const root = createRoot(element);
  roots.push(root);
  root.render(node);
  return {
    element,
    text: () => element.textContent ?? '',
    rerender: (next: ReactNode) => root.render(next),
    unmount: () => {
      root.unmount();
      roots = roots.filter((r) => r !== root);
    },
  };
}

/** What the components below saw, render by render. */
function probe() {
  return {
    results: [] as UseConnectionReturn[],
    get last(): UseConnectionReturn {
      const last = this.results.at(-1);
      if (!last) throw new Error('the component has not rendered');
      return last;
    },
  };
}
type Probe = ReturnType<typeof probe>;

/** Renders `[status] last message` for a connection made from `options`, read once. */
function Status({ options, seen }: { options: ConnectionOptions | Connection; seen: Probe }) {
  const result = useConnection(options);
  seen.results.push(result);
  return h('p', null, `[${result.status}] ${result.lastMessage?.data ?? ''}`);
}

class Boundary extends Component<
  { children?: ReactNode; onError: (error: unknown) => void },
  { failed: boolean }
> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override componentDidCatch(error: unknown) {
    this.props.onError(error);
  }
  override render() {
    return this.state.failed ? h('p', null, 'failed') : this.props.children;
  }
}

describe('useConnection (React)', () => {
  it('renders the status and follows a server drop through waiting back to open', async () => {
    const seen = probe();
    const view = render(h(Status, { options: options(), seen }));
    await until(() => view.text() === '[open] ', 'the component to render open');
    connections.push(seen.last.connection);

    (await server.connection(0)).socket.terminate();
    await until(() => view.text() === '[waiting] ', 'the component to render waiting');
    await until(() => view.text() === '[open] ', 'the component to render open again');
    expect(server.connections).toHaveLength(2);
    const statuses = seen.results.map((r) => r.status).filter((s, i, all) => s !== all[i - 1]);
    expect(statuses.slice(0, 3)).toEqual(['connecting', 'open', 'waiting']);
    expect(statuses.at(-1)).toBe('open');
  });

  it('renders connecting, never closed, before a connection it creates has opened', async () => {
    const seen = probe();
    const view = render(h(Status, { options: options(), seen }));
    await until(() => view.text() === '[open] ', 'open');
    connections.push(seen.last.connection);
    expect(seen.results.map((r) => r.status)).not.toContain('closed');
    expect(seen.results[0]?.status).toBe('connecting');
  });

  it('makes exactly one socket under StrictMode, and closes it once unmounted', async () => {
    const adapter = countingAdapter();
    const seen = probe();
    const view = render(h(StrictMode, null, h(Status, { options: options({ adapter }), seen })));
    await until(() => view.text() === '[open] ', 'open under StrictMode');
    const { connection } = seen.last;
    await seen.last.send('ping');
    await until(() => view.text() === '[open] ping', 'the echo');
    expect(adapter.sockets).toBe(1);
    expect(server.connections).toHaveLength(1);
    expect(new Set(seen.results.map((r) => r.connection)).size).toBe(1);

    view.unmount();
    await within(connection.closed, 'closed to settle');
    expect((await (await server.connection(0)).closed).code).toBe(1000);
  });

  it('does not reconnect when the options are a new object on every render', async () => {
    const adapter = countingAdapter();
    const seen = probe();
    let bump: () => void = () => {};
    function Parent() {
      const [renders, setRenders] = useState(0);
      bump = () => setRenders((n) => n + 1);
      return h('div', null, h(Status, { options: options({ adapter }), seen }), h('i', null, renders));
    }
    const view = render(h(Parent));
    await until(() => view.text() === '[open] 0', 'open');
    for (let i = 1; i <= 5; i++) {
      bump();
      await until(() => view.text() === `[open] ${i}`, `render ${i}`);
    }
    expect(adapter.sockets).toBe(1);
    expect(server.connections).toHaveLength(1);
    expect(new Set(seen.results.map((r) => r.connection)).size).toBe(1);
    connections.push(seen.last.connection);
  });

  it('returns the same object while nothing changed, and stable send, close and reconnect', async () => {
    const seen = probe();
    let bump: () => void = () => {};
    function Parent() {
      const [renders, setRenders] = useState(0);
      bump = () => setRenders((n) => n + 1);
      return h('div', null, h(Status, { options: options(), seen }), h('i', null, renders));
    }
    const view = render(h(Parent));
    await until(() => view.text() === '[open] 0', 'open');
    const open = seen.last;
    bump();
    await until(() => view.text() === '[open] 1', 'a render with nothing changed');
    expect(seen.last).toBe(open);
    expect(Object.isFrozen(open)).toBe(true);

    const first = seen.results[0];
    expect(first).not.toBe(open);
    expect(open.send).toBe(first?.send);
    expect(open.close).toBe(first?.close);
    expect(open.reconnect).toBe(first?.reconnect);
    connections.push(open.connection);
  });

  it('counts a message sent through send before open in queue, and empties it on open', async () => {
    // The handshake waits for the test, so the send is certain to find the socket connecting.
    let accept: (() => void) | undefined;
    const gated = await startWsServer({
      onConnection: echo,
      verifyClient: (_info, callback) => {
        accept = () => callback(true);
      },
    });
    try {
      const seen = probe();
      const view = render(h(Status, { options: options({ url: gated.url }), seen }));
      await until(() => accept, 'the handshake to start');
      const sent = seen.last.send('early');
      await until(() => seen.last.queue.messages === 1, 'a render with the message queued');
      expect(seen.last.queue).toEqual({ messages: 1, bytes: 5 });
      expect(view.text()).toBe('[connecting] ');
      accept?.();
      await within(sent, 'the queued send');
      await until(
        () => seen.last.status === 'open' && seen.last.queue.messages === 0,
        'the queue empty once open',
      );
      expect((await (await gated.connection(0)).message(0)).data.toString()).toBe('early');
      connections.push(seen.last.connection);
      await seen.last.close();
    } finally {
      await gated.stop();
    }
  });

  it("delivers a send made through send in a child's effect, which runs before the parent has mounted", async () => {
    const adapter = countingAdapter();
    const seen = probe();
    function Greeter({ send }: { send: UseConnectionReturn['send'] }) {
      useEffect(() => {
        send('hello from a child').catch(() => {});
      }, [send]);
      return null;
    }
    function Parent() {
      const chat = useConnection(options({ adapter }));
      seen.results.push(chat);
      return h('div', null, h('p', null, chat.status), h(Greeter, { send: chat.send }));
    }
    const view = render(h(StrictMode, null, h(Parent)));
    const first = await (await server.connection(0)).message(0);
    expect(first.data.toString()).toBe('hello from a child');
    await until(() => view.text() === 'open', 'open');
    expect(adapter.sockets).toBe(1);
    connections.push(seen.last.connection);
  });

  it('starts a new attempt through the returned reconnect', async () => {
    const seen = probe();
    const view = render(h(Status, { options: options(), seen }));
    await until(() => view.text() === '[open] ', 'open');
    connections.push(seen.last.connection);
    seen.last.reconnect();
    await server.connection(1);
    await until(() => view.text() === '[open] ', 'open on the new socket');
    expect((await server.connection(0)).close?.code).toBe(1000);
  });

  it('closes its connection while hidden in an <Activity> and reopens the same one when shown', async () => {
    // React 19.2's <Activity> unmounts the effects of a hidden tree and keeps its state; @types/react 18 does not
    // declare it.
    const Activity = (
      React as unknown as { Activity: ComponentType<{ mode: 'visible' | 'hidden'; children?: ReactNode }> }
    ).Activity;
    const seen = probe();
    const tree = (mode: 'visible' | 'hidden') =>
      h(Activity, { mode }, h(Status, { options: options(), seen }));
    const view = render(tree('visible'));
    await until(() => seen.results.at(-1)?.status === 'open', 'open');
    const { connection } = seen.last;
    connections.push(connection);

    view.rerender(tree('hidden'));
    await within(connection.closed, 'closed while hidden');
    expect((await (await server.connection(0)).closed).code).toBe(1000);

    view.rerender(tree('visible'));
    await server.connection(1);
    await until(() => connection.status === 'open' && view.text() === '[open] ', 'open again once shown');
    expect(seen.last.connection).toBe(connection);
    expect(server.connections).toHaveLength(2);
  });

  it('renders closed, and makes no socket, for options whose signal has already aborted', async () => {
    const adapter = countingAdapter();
    const seen = probe();
    const view = render(h(Status, { options: options({ adapter, signal: AbortSignal.abort() }), seen }));
    await until(() => view.text() === '[closed] ', 'closed');
    expect(adapter.sockets).toBe(0);
  });

  it('leaves a connection passed in open when the component unmounts', async () => {
    const connection = createConnection(options());
    connections.push(connection);
    const seen = probe();
    const view = render(h(StrictMode, null, h(Status, { options: connection, seen })));
    await until(() => view.text() === '[open] ', 'open');
    expect(seen.last.connection).toBe(connection);
    view.unmount();
    await connection.send('after unmount');
    await (await server.connection(0)).message(0);
    expect(connection.status).toBe('open');
    expect(server.connections[0]?.close).toBeUndefined();
    expect(server.connections).toHaveLength(1);
  });

  it('follows a different connection passed in on a later render, leaving the first open', async () => {
    const first = createConnection(options());
    const second = createConnection(options({ startClosed: true }));
    connections.push(first, second);
    const seen = probe();
    const view = render(h(Status, { options: first, seen }));
    await until(() => view.text() === '[open] ', 'the first open');
    view.rerender(h(Status, { options: second, seen }));
    await until(() => view.text() === '[closed] ', 'the second, closed');
    expect(seen.last.connection).toBe(second);
    second.reconnect();
    await until(() => view.text() === '[open] ', 'the second open');
    expect(first.status).toBe('open');
  });

  it('keeps a connection created with startClosed closed until reconnect', async () => {
    const seen = probe();
    const view = render(h(Status, { options: options({ startClosed: true }), seen }));
    await until(() => view.text() === '[closed] ', 'closed');
    expect(server.connections).toHaveLength(0);
    seen.last.reconnect();
    await until(() => view.text() === '[open] ', 'open after reconnect');
    connections.push(seen.last.connection);
  });
});

describe('useMessage (React)', () => {
  it('calls the handler of the latest render with each message event, subscribing once', async () => {
    const connection = createConnection(options());
    connections.push(connection);
    const subscribe = vi.spyOn(connection, 'onMessage');
    const received: string[] = [];
    function Listener({ label }: { label: string }) {
      useMessage(connection, (event: MessageEvent) => received.push(`${label}:${String(event.data)}`));
      return h('p', null, label);
    }
    const view = render(h(Listener, { label: 'a' }));
    await until(() => connection.status === 'open' && view.text() === 'a', 'open');
    await connection.send('1');
    await until(() => received.length === 1, 'the first echo');
    view.rerender(h(Listener, { label: 'b' }));
    await until(() => view.text() === 'b', 'the second render');
    await connection.send('2');
    await until(() => received.length === 2, 'the second echo');
    expect(received).toEqual(['a:1', 'b:2']);
    expect(subscribe).toHaveBeenCalledTimes(1);
  });

  it('renders lastMessage and takes what useConnection returned as its connection', async () => {
    const received: unknown[] = [];
    const seen = probe();
    function Chat() {
      const chat = useConnection(options());
      seen.results.push(chat);
      useMessage(chat, ({ data }) => received.push(data));
      return h('p', null, `${chat.status} ${chat.lastMessage?.data ?? '-'}`);
    }
    const view = render(h(StrictMode, null, h(Chat)));
    await until(() => view.text() === 'open -', 'open');
    connections.push(seen.last.connection);
    await seen.last.send('hello');
    await until(() => view.text() === 'open hello', 'the echo rendered');
    expect(received).toEqual(['hello']);
    expect(seen.last.lastMessage).toEqual({ data: 'hello' });
  });

  it('gives each message as a new lastMessage, the same text twice included', async () => {
    const seen = probe();
    const view = render(h(Status, { options: options(), seen }));
    await until(() => view.text() === '[open] ', 'open');
    connections.push(seen.last.connection);
    await seen.last.send('again');
    await until(() => seen.last.lastMessage !== null, 'the first echo');
    const first = seen.last.lastMessage;
    await seen.last.send('again');
    await until(() => seen.last.lastMessage !== first, 'the second echo');
    expect(seen.last.lastMessage).toEqual({ data: 'again' });
  });

  it('stops calling the handler once the component unmounts', async () => {
    const connection = createConnection(options());
    connections.push(connection);
    const received: unknown[] = [];
    function Listener() {
      useMessage(connection, ({ data }) => received.push(data));
      return null;
    }
    const view = render(h(Listener));
    await until(() => connection.status === 'open', 'open');
    await connection.send('before');
    await until(() => received.length === 1, 'the first echo');
    view.unmount();
    const later: unknown[] = [];
    connection.onMessage(({ data }) => later.push(data));
    await connection.send('after');
    await until(() => later.length === 1, 'the second echo');
    expect(received).toEqual(['before']);
  });
});

describe('bad input (React)', () => {
  function caught(node: ReactNode): Promise<unknown> {
    // React reports an error caught by a boundary on the console as well; the test reads it from the boundary.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    return within(
      new Promise<unknown>((resolve) => {
        render(h(Boundary, { onError: resolve }, node));
      }),
      'the error boundary',
    ).finally(() => quiet.mockRestore());
  }

  it('throws ERR_INVALID_OPTIONS naming the fix for what is neither options nor a connection', async () => {
    function Bad() {
      useConnection(42 as never);
      return null;
    }
    expectError(
      await caught(h(Bad)),
      'ERR_INVALID_OPTIONS',
      /^useConnection\(\): pass connection options such as \{ url, adapter \} or a Connection from createConnection\(\), got 42$/,
    );
  });

  it('throws ERR_INVALID_CALLBACK for a handler that is not a function', async () => {
    const connection = createConnection(options({ startClosed: true }));
    connections.push(connection);
    function Bad() {
      useMessage(connection, 'log' as never);
      return null;
    }
    const error = (await caught(h(Bad))) as SocketTaskError;
    expectError(error, 'ERR_INVALID_CALLBACK', /^useMessage\(\): the handler must be a function/);
  });

  it('throws what createConnection throws for invalid options', async () => {
    function Bad() {
      useConnection({ url: server.url, adapter: nodeAdapter(), startClosed: 'yes' } as never);
      return null;
    }
    const error = await caught(h(Bad));
    expect((error as SocketTaskError).code).toBe('ERR_INVALID_OPTIONS');
    expect((error as SocketTaskError).message).toMatch(/^createConnection\(\): .*startClosed/);
  });
});

describe('the built package', () => {
  it('resolves socket-task-machine/react for import and require, exporting useConnection and useMessage', () => {
    expect(builtSubpath('react')).toEqual({
      import: { file: 'dist/react/index.js', names: ['useConnection', 'useMessage'] },
      require: { file: 'dist/react/index.cjs', names: ['useConnection', 'useMessage'] },
    });
  });
});
