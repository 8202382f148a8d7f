// A TCP proxy on 127.0.0.1 that breaks the connections it carries on command, so tests can drive a real `ws`
// client and server through latency, half-open links, resets, cuts mid-frame, stalled handshakes and refusals.
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { until } from '../helpers.js';

/** Which way bytes flow: from the client to the target server, or back. */
export type Direction = 'toServer' | 'toClient';

/** What one proxied connection does with the bytes it carries. Build them with {@link faults}. */
export type ConnectionMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'latency'; readonly ms: number }
  | { readonly kind: 'blackhole' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'cutAt'; readonly bytes: number; readonly direction: Direction }
  | { readonly kind: 'stallHandshake' };

/** What the proxy does with new connections: any {@link ConnectionMode}, or refusing them. */
export type ProxyMode = ConnectionMode | { readonly kind: 'refuse' };

/**
 * The faults a connection (or the proxy, for new connections) can be switched to at any moment.
 *
 * @example
 * ```ts
 * proxy.connections[0]?.setMode(faults.cutAt(10, 'toServer'));
 * proxy.setDefaultMode(faults.refuse());
 * ```
 */
export const faults = {
  /** Forward every byte at once. */
  pass: (): ConnectionMode => ({ kind: 'pass' }),
  /** Forward every chunk, and a FIN, `ms` after it arrived, in both directions, in order. */
  latency: (ms: number): ConnectionMode => {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`latency(${ms}): use a finite ms >= 0`);
    return { kind: 'latency', ms };
  },
  /** A half-open link: read and discard every byte both ways; no FIN, no close reaches the other side. */
  blackhole: (): ConnectionMode => ({ kind: 'blackhole' }),
  /** Destroy both sides at once with a TCP RST. */
  reset: (): ConnectionMode => ({ kind: 'reset' }),
  /** Forward exactly `bytes` more bytes in `direction` (0: none), then reset both sides: a cut mid-frame. */
  cutAt: (bytes: number, direction: Direction): ConnectionMode => {
    if (!(Number.isSafeInteger(bytes) && bytes >= 0)) {
      throw new RangeError(`cutAt(${bytes}): use a whole number of bytes >= 0`);
    }
    return { kind: 'cutAt', bytes, direction };
  },
  /**
   * Read nothing and forward nothing either way, keeping every byte for when the mode changes. On a new
   * connection the client's TCP connect succeeds but its HTTP upgrade never reaches the server.
   */
  stallHandshake: (): ConnectionMode => ({ kind: 'stallHandshake' }),
  /** New connections only: reset each one as soon as it is accepted, so the client fails at once. */
  refuse: (): ProxyMode => ({ kind: 'refuse' }),
};

/** The timers latency uses; a manual implementation releases held bytes deterministically. */
export interface ProxyTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: ProxyTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Bytes of one direction of one connection. */
export interface LaneCounts {
  /** Read from the sender. */
  readonly received: number;
  /** Written to the receiver. */
  readonly forwarded: number;
  /** Read and thrown away: blackholed, past a cut, or left over when the connection closed. */
  readonly dropped: number;
  /** Read and not yet forwarded: waiting out a latency or queued behind bytes that are. */
  readonly queued: number;
}

/** One client connection through the proxy and the proxy's own connection to the target. */
export interface ProxiedConnection {
  /** 0 for the first connection the proxy accepted, then counting up. */
  readonly id: number;
  readonly mode: ConnectionMode;
  readonly bytes: { readonly toServer: LaneCounts; readonly toClient: LaneCounts };
  /** The proxy's end of the client's TCP connection. */
  readonly client: Socket;
  /** The proxy's TCP connection to the target. */
  readonly server: Socket;
  /** True once both sockets are closed. */
  readonly isClosed: boolean;
  /** Resolves once both sockets are closed. */
  readonly closed: Promise<void>;
  /** performance.now() when the proxy accepted it. */
  readonly acceptedAt: number;
  /** Switches this connection's fault; `reset` (and `cutAt` 0) act at once. No effect once it is closing. */
  setMode(mode: ConnectionMode): void;
}

export interface FaultProxyOptions {
  /** Where to forward; host defaults to 127.0.0.1. */
  target: { host?: string; port: number };
  /** @defaultValue `faults.pass()` */
  mode?: ProxyMode;
  /** @defaultValue the global setTimeout and clearTimeout */
  timers?: ProxyTimers;
}

export interface FaultProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** `ws://127.0.0.1:<port><path>` */
  url(path?: string): string;
  /** The connections whose sockets are not both closed yet, oldest first. */
  readonly connections: readonly ProxiedConnection[];
  /** Every connection accepted so far (refused ones excepted), in order; `accepted[i].id === i`. */
  readonly accepted: readonly ProxiedConnection[];
  /** How many connections `refuse` turned away. */
  readonly refused: number;
  /** The mode new connections start in. */
  readonly defaultMode: ProxyMode;
  /** Sets the mode of connections accepted from now on; live ones keep theirs. */
  setDefaultMode(mode: ProxyMode): void;
  /** Sets the mode of every live connection and of every new one. */
  setModeForAll(mode: ConnectionMode): void;
  /** Resolves with `accepted[index]` once it has been accepted; rejects after `timeoutMs`. */
  connection(index?: number, timeoutMs?: number): Promise<ProxiedConnection>;
  /** Destroys every socket, clears every timer, stops listening; resolves once all are closed. Idempotent. */
  close(): Promise<void>;
}

const END = Symbol('end');

interface Held {
  readonly data: Buffer | typeof END;
  ready: boolean;
  timer: unknown;
}

class Lane implements LaneCounts {
  received = 0;
  forwarded = 0;
  dropped = 0;
  /** Everything read and not yet forwarded, in arrival order; only the ready head may leave. */
  readonly held: Held[] = [];
  /** Bytes this direction may still forward before the cut; undefined when no cut is armed here. */
  budget: number | undefined;
  /** The receiver's write buffer is full: stop reading the sender until it drains. */
  blocked = false;

  constructor(
    readonly from: Socket,
    readonly to: Socket,
  ) {}

  get queued(): number {
    let total = 0;
    for (const { data } of this.held) if (data !== END) total += data.length;
    return total;
  }
}

class Connection implements ProxiedConnection {
  readonly bytes: { readonly toServer: Lane; readonly toClient: Lane };
  readonly closed: Promise<void>;
  readonly acceptedAt = Math.round(performance.now());
  readonly #timers: ProxyTimers;
  #mode: ConnectionMode = { kind: 'pass' };
  #isClosed = false;
  /** Set once the proxy tears the connection down itself: every byte is dropped, no close is propagated. */
  #ending = false;
  /** A FIN or close arrived while blackholed; the two peers now disagree, so leaving the blackhole resets. */
  #brokenInBlackhole = false;

  constructor(
    readonly id: number,
    readonly client: Socket,
    readonly server: Socket,
    mode: ConnectionMode,
    timers: ProxyTimers,
  ) {
    this.#timers = timers;
    const toServer = new Lane(client, server);
    const toClient = new Lane(server, client);
    this.bytes = { toServer, toClient };
    let open = 2;
    let resolveClosed!: () => void;
    this.closed = new Promise((resolve) => {
      resolveClosed = resolve;
    });
    for (const lane of [toServer, toClient]) {
      lane.from.on('data', (chunk: Buffer) => this.#onData(lane, chunk));
      lane.from.on('end', () => this.#onEnd(lane));
      // 'close' says whether an error ended the socket, which is all the proxy acts on.
      lane.from.on('error', () => {});
      lane.from.on('close', (hadError) => {
        this.#onClose(hadError);
        open -= 1;
        if (open > 0) {
          this.#closeOrphan();
          return;
        }
        this.#dropHeld();
        this.#isClosed = true;
        resolveClosed();
      });
    }
    this.setMode(mode);
  }

  get mode(): ConnectionMode {
    return this.#mode;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  setMode(mode: ConnectionMode): void {
    if (this.#ending || this.#isClosed) return;
    const leavingBlackhole = this.#mode.kind === 'blackhole' && mode.kind !== 'blackhole';
    this.#mode = mode;
    const { toServer, toClient } = this.bytes;
    toServer.budget = undefined;
    toClient.budget = undefined;
    if (
      mode.kind === 'reset' ||
      (mode.kind === 'cutAt' && mode.bytes === 0) ||
      (leavingBlackhole && this.#brokenInBlackhole)
    ) {
      this.#reset();
      return;
    }
    if (mode.kind === 'blackhole') this.#dropHeld();
    if (mode.kind === 'cutAt') this.bytes[mode.direction].budget = mode.bytes;
    this.#updateFlow();
    // Bytes an earlier latency still holds keep their timers; whatever is ready behind them leaves after them.
    this.#flush(toServer);
    this.#flush(toClient);
    this.#closeOrphan();
  }

  /**
   * One side is gone and the link passes traffic again: once nothing is held for the survivor, it is ended too,
   * and destroyed if its own FIN already came (a stalled link read neither side's FIN while it was stalled).
   */
  #closeOrphan(): void {
    const kind = this.#mode.kind;
    if (this.#ending || kind === 'blackhole' || kind === 'stallHandshake') return;
    // Both peers sent their FIN and nothing is held for either: the connection is over, whatever was pending.
    const { toServer, toClient } = this.bytes;
    if (
      this.client.readableEnded &&
      this.server.readableEnded &&
      toServer.held.length === 0 &&
      toClient.held.length === 0
    ) {
      if (this.client.writable) this.client.end(() => this.client.destroy());
      else this.client.destroy();
      if (this.server.writable) this.server.end(() => this.server.destroy());
      else this.server.destroy();
      return;
    }
    for (const [gone, survivor, lane] of [
      [this.server, this.client, this.bytes.toClient],
      [this.client, this.server, this.bytes.toServer],
    ] as const) {
      if (!gone.destroyed || survivor.destroyed || lane.held.length > 0) continue;
      if (survivor.writable) survivor.end();
      if (survivor.readableEnded) survivor.destroy();
      else survivor.resume();
    }
  }

  /** Proxy shutdown: a plain destroy of both sides, nothing more forwarded. */
  destroy(): void {
    this.#ending = true;
    this.#dropHeld();
    this.client.destroy();
    this.server.destroy();
  }

  #onData(lane: Lane, chunk: Buffer): void {
    lane.received += chunk.length;
    if (this.#ending || this.#mode.kind === 'blackhole') lane.dropped += chunk.length;
    else this.#hold(lane, chunk);
  }

  #onEnd(lane: Lane): void {
    if (this.#ending) return;
    if (this.#mode.kind === 'blackhole') this.#brokenInBlackhole = true;
    else this.#hold(lane, END);
    this.#closeOrphan();
  }

  #onClose(hadError: boolean): void {
    if (this.#ending) return;
    if (this.#mode.kind === 'blackhole') this.#brokenInBlackhole = true;
    // A clean close comes after this side's FIN, which is already queued towards the other side.
    else if (hadError) this.#reset();
  }

  #hold(lane: Lane, data: Buffer | typeof END): void {
    const mode = this.#mode;
    const held: Held = { data, ready: mode.kind !== 'latency', timer: undefined };
    if (mode.kind === 'latency') {
      held.timer = this.#timers.setTimeout(() => {
        held.timer = undefined;
        held.ready = true;
        this.#flush(lane);
      }, mode.ms);
    }
    lane.held.push(held);
    this.#flush(lane);
  }

  #flush(lane: Lane): void {
    if (this.#mode.kind === 'stallHandshake') return;
    for (let head = lane.held[0]; head?.ready; head = lane.held[0]) {
      lane.held.shift();
      if (head.data !== END) {
        if (!this.#forward(lane, head.data)) return;
      } else if (lane.to.writable) lane.to.end();
    }
  }

  /** Writes one chunk, or the part of it before an armed cut; false once the connection is cut. */
  #forward(lane: Lane, data: Buffer): boolean {
    if (!lane.to.writable) {
      lane.dropped += data.length;
      return true;
    }
    if (lane.budget !== undefined && data.length >= lane.budget) {
      const head = data.subarray(0, lane.budget);
      lane.forwarded += head.length;
      lane.dropped += data.length - head.length;
      lane.budget = undefined;
      this.#ending = true;
      this.#dropHeld();
      // An RST discards whatever the kernel has not sent yet, so reset only once the head has left the process.
      if (head.length === 0) this.#reset();
      else lane.to.write(head, () => this.#reset());
      return false;
    }
    if (lane.budget !== undefined) lane.budget -= data.length;
    lane.forwarded += data.length;
    if (!lane.to.write(data) && !lane.blocked) {
      lane.blocked = true;
      lane.to.once('drain', () => {
        lane.blocked = false;
        this.#updateFlow();
      });
      this.#updateFlow();
    }
    return true;
  }

  #updateFlow(): void {
    const { kind } = this.#mode;
    for (const lane of [this.bytes.toServer, this.bytes.toClient]) {
      if (lane.from.destroyed) continue;
      // A blackhole ignores backpressure: it writes nothing, and must keep draining the sender.
      const read = kind === 'blackhole' || (kind !== 'stallHandshake' && !lane.blocked);
      if (read) lane.from.resume();
      else lane.from.pause();
    }
  }

  #reset(): void {
    this.#ending = true;
    this.#dropHeld();
    for (const socket of [this.client, this.server]) {
      if (socket.destroyed) continue;
      // Node cannot reset a socket whose FIN it already sent: resetAndDestroy() then emits EINVAL and never 'close'.
      if (socket.writableEnded) socket.destroy();
      else socket.resetAndDestroy();
    }
  }

  #dropHeld(): void {
    for (const lane of [this.bytes.toServer, this.bytes.toClient]) {
      for (const { data, timer } of lane.held) {
        if (timer !== undefined) this.#timers.clearTimeout(timer);
        if (data !== END) lane.dropped += data.length;
      }
      lane.held.length = 0;
    }
  }
}

/**
 * Starts a fault-injecting TCP proxy on 127.0.0.1 and an ephemeral port, forwarding to `target`.
 *
 * @example
 * ```ts
 * const server = await startEchoServer();
 * const proxy = await startFaultProxy({ target: { port: server.port } });
 * const ws = new WebSocket(proxy.url('/chat'));
 * (await proxy.connection(0)).setMode(faults.blackhole());
 * await proxy.close();
 * ```
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const { host = '127.0.0.1', port: targetPort } = options.target;
  const timers = options.timers ?? realTimers;
  let defaultMode: ProxyMode = options.mode ?? faults.pass();
  const accepted: Connection[] = [];
  /** Every socket the proxy accepted or opened and that has not emitted 'close' yet. */
  const open = new Map<Socket, Promise<void>>();
  let refused = 0;
  let closing: Promise<void> | undefined;

  const track = (socket: Socket): void => {
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        open.delete(socket);
        resolve();
      }),
    );
    open.set(socket, closed);
  };

  const listener = createServer({ allowHalfOpen: true }, (client) => {
    track(client);
    const mode = defaultMode;
    if (closing) client.destroy();
    else if (mode.kind === 'refuse') {
      refused += 1;
      // An RST rather than a FIN, and the port stays bound, so restoring the proxy never races for it.
      client.resetAndDestroy();
    } else {
      // Half-open on both legs, so a FIN from one peer is forwarded instead of closing the whole connection.
      const server = connect({ host, port: targetPort, allowHalfOpen: true });
      track(server);
      accepted.push(new Connection(accepted.length, client, server, mode, timers));
    }
  });

  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, '127.0.0.1', () => {
      listener.off('error', reject);
      resolve();
    });
  });
  const { port } = listener.address() as AddressInfo;

  return {
    port,
    url: (path = '/') => `ws://127.0.0.1:${port}${path.startsWith('/') ? '' : '/'}${path}`,
    get connections() {
      return accepted.filter((connection) => !connection.isClosed);
    },
    accepted,
    get refused() {
      return refused;
    },
    get defaultMode() {
      return defaultMode;
    },
    setDefaultMode(mode) {
      defaultMode = mode;
    },
    setModeForAll(mode) {
      defaultMode = mode;
      for (const connection of accepted) connection.setMode(mode);
    },
    connection: (index = 0, timeoutMs = 2000) =>
      until(() => accepted[index], `proxied connection #${index}`, timeoutMs),
    close() {
      closing ??= (async () => {
        for (const connection of accepted) connection.destroy();
        for (const socket of open.keys()) socket.destroy();
        const listenerClosed = new Promise<void>((resolve) => listener.close(() => resolve()));
        await Promise.all([listenerClosed, ...open.values()]);
      })();
      return closing;
    },
  };
}
