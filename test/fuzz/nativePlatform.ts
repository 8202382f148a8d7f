// A mini-program platform that does whatever the fuzz tells it: events with any payload, in any order, and calls
// that throw, fail, or return anything. Cheap and synchronous, unlike the ws-backed fakes of test/fixtures/.

type Listener = (payload: unknown) => void;
type Kind = 'open' | 'message' | 'error' | 'close';

/** How the platform misbehaves in one run. */
export interface Faults {
  /** connectSocket: returns a task; throws; returns `returned`; calls `fail` before returning. */
  connect: 'task' | 'throws' | 'returns' | 'fails-at-once' | 'fails-later';
  returned?: unknown;
  failPayload?: unknown;
  /** A task method that throws when called. */
  throws?: 'send' | 'close' | 'onOpen' | 'onMessage' | 'onError' | 'onClose' | undefined;
  /** A task method that is missing. */
  missing?: 'send' | 'close' | 'onOpen' | 'onMessage' | 'onError' | 'onClose' | undefined;
  /** What `readyState` reads as. */
  readyState?: unknown;
  /** Taro H5's browser socket, as anything. */
  ws?: unknown;
}

export class NativeTask {
  readonly listeners: Record<Kind, Listener[]> = { open: [], message: [], error: [], close: [] };
  opened = false;
  closed = false;
  closeRequested = false;
  readonly sent: unknown[] = [];
  [method: string]: unknown;

  constructor(
    readonly options: Record<string, unknown>,
    faults: Faults,
  ) {
    const methods = {
      send: (o: { data: unknown; success?: Listener; fail?: Listener; complete?: Listener }) => {
        this.sent.push(o?.data);
        o?.success?.({ errMsg: 'sendSocketMessage:ok' });
        o?.complete?.({});
      },
      close: (o: { success?: Listener; complete?: Listener } | undefined) => {
        this.closeRequested = true;
        o?.success?.({ errMsg: 'closeSocket:ok' });
        o?.complete?.({});
      },
      onOpen: (listener: Listener) => void this.listeners.open.push(listener),
      onMessage: (listener: Listener) => void this.listeners.message.push(listener),
      onError: (listener: Listener) => void this.listeners.error.push(listener),
      onClose: (listener: Listener) => void this.listeners.close.push(listener),
    };
    for (const [name, method] of Object.entries(methods)) {
      if (faults.missing === name) continue;
      this[name] =
        faults.throws === name
          ? () => {
              throw new Error(`${name} refused`);
            }
          : method;
    }
    if ('readyState' in faults) this.readyState = faults.readyState;
    if ('ws' in faults) this.ws = faults.ws;
  }

  emit(kind: Kind, payload: unknown): void {
    if (kind === 'open') this.opened = true;
    if (kind === 'close') this.closed = true;
    for (const listener of [...this.listeners[kind]]) listener(payload);
  }
}

/** The platform object: `connectSocket`, the lifecycle functions, and for WeChat's legacy API the global socket. */
export class NativePlatform {
  readonly tasks: NativeTask[] = [];
  readonly failLater: Array<() => void> = [];
  readonly lifecycle: Record<string, Listener[]> = { network: [], show: [], hide: [] };
  /** The legacy API's global listeners. */
  readonly global: Record<Kind, Listener[]> = { open: [], message: [], error: [], close: [] };
  globalCloseRequested = false;

  constructor(
    readonly faults: Faults,
    readonly promise = false,
  ) {}

  connectSocket = (options: Record<string, unknown> & { fail?: Listener }): unknown => {
    const { faults } = this;
    if (faults.connect === 'throws') throw new Error('connectSocket refused');
    if (faults.connect === 'returns') return faults.returned;
    const task = new NativeTask(options, faults);
    this.tasks.push(task);
    if (faults.connect === 'fails-at-once') options.fail?.(faults.failPayload);
    if (faults.connect === 'fails-later') this.failLater.push(() => options.fail?.(faults.failPayload));
    return this.promise ? Promise.resolve(task) : task;
  };

  onNetworkStatusChange = (listener: Listener) => void this.lifecycle.network?.push(listener);
  offNetworkStatusChange = (listener: Listener) => this.remove('network', listener);
  onAppShow = (listener: Listener) => void this.lifecycle.show?.push(listener);
  offAppShow = (listener: Listener) => this.remove('show', listener);
  onAppHide = (listener: Listener) => void this.lifecycle.hide?.push(listener);
  offAppHide = (listener: Listener) => this.remove('hide', listener);
  getNetworkType = (options: { success?: Listener }) => options.success?.({ networkType: 'wifi' });

  // WeChat's legacy global API.
  onSocketOpen = (listener: Listener) => void this.global.open.push(listener);
  onSocketMessage = (listener: Listener) => void this.global.message.push(listener);
  onSocketError = (listener: Listener) => void this.global.error.push(listener);
  onSocketClose = (listener: Listener) => void this.global.close.push(listener);
  sendSocketMessage = (o: { success?: Listener; complete?: Listener }) => {
    o.success?.({});
    o.complete?.({});
  };
  closeSocket = (o: { success?: Listener; complete?: Listener }) => {
    this.globalCloseRequested = true;
    o.success?.({});
    o.complete?.({});
  };

  /** A lifecycle event with any payload. */
  signal(kind: 'network' | 'show' | 'hide', payload: unknown): void {
    for (const listener of [...(this.lifecycle[kind] ?? [])]) listener(payload);
  }

  /** A global socket event (legacy API) with any payload. */
  emitGlobal(kind: Kind, payload: unknown): void {
    for (const listener of [...this.global[kind]]) listener(payload);
  }

  private remove(kind: string, listener: Listener): void {
    const list = this.lifecycle[kind];
    if (list) this.lifecycle[kind] = list.filter((l) => l !== listener);
  }
}
