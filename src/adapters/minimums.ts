/**
 * What an adapter needs of its platform object, and the oldest platform version that has it. An adapter factory
 * checks `methods` when it is created and names `runtime` and `version` when one is missing, or when
 * `connectSocket` hands back no SocketTask.
 */
export interface PlatformMinimum {
  /** The platform object, as the factory takes it: `'wx'`. */
  readonly platform: string;
  /** The functions the adapter calls on it: a missing one fails the factory with `ERR_INVALID_ADAPTER`. */
  readonly methods: readonly string[];
  /** What the version is a version of: `'WeChat base library'`. */
  readonly runtime: string;
  /** The oldest version with all of `methods` as the adapter uses them; `undefined` where the vendor names none. */
  readonly version: string | undefined;
  /** Where `version` comes from; with no version, what is needed and how to tell at run time. */
  readonly source: string;
}

/** WeChat: `wx.connectSocket` returns a SocketTask from base library 1.7.0 (docs/platforms.md#oldest-versions). */
export const wechatMinimum: PlatformMinimum = {
  platform: 'wx',
  methods: ['connectSocket'],
  runtime: 'WeChat base library',
  version: '1.7.0',
  source:
    'SocketTask: "基础库 1.7.0 开始支持" (developers.weixin.qq.com/miniprogram/dev/api/network/websocket/SocketTask.html)',
};

/** WeChat's global socket API: on `wx` from the first base library, with no minimum on any of its pages. */
export const wechatLegacyMinimum: PlatformMinimum = {
  platform: 'wx',
  methods: [
    'connectSocket',
    'onSocketOpen',
    'onSocketMessage',
    'onSocketError',
    'onSocketClose',
    'sendSocketMessage',
    'closeSocket',
  ],
  runtime: 'WeChat base library',
  version: '1.0.0',
  source:
    'wx.connectSocket and wx.onSocket*: no minimum version on their pages (developers.weixin.qq.com/miniprogram/dev/api/network-socket.html); close code and reason from 1.4.0',
};

/** QQ: `qq.connectSocket` returns a SocketTask on every base library. */
export const qqMinimum: PlatformMinimum = {
  platform: 'qq',
  methods: ['connectSocket'],
  runtime: 'QQ base library',
  version: '1.0.0',
  source:
    'qq.connectSocket returns a SocketTask with no minimum version on its page (q.qq.com/wiki/develop/miniprogram/API/network/network_websocket.html)',
};

/** Baidu: before 1.9.4 one global socket that each connect replaces, and no SocketTask (docs/platforms.md#oldest-versions). */
export const baiduMinimum: PlatformMinimum = {
  platform: 'swan',
  methods: ['connectSocket'],
  runtime: 'Baidu base library',
  version: '1.9.4',
  source:
    '"百度小程序平台自基础库版本 1.9.4 及以后支持多个socket连接" (uniapp.dcloud.net.cn/api/request/websocket.html)',
};

/** Alipay: a SocketTask only for `multiple: true`, an option whose first base library Alipay does not name. */
export const alipayMinimum: PlatformMinimum = {
  platform: 'my',
  methods: ['connectSocket'],
  runtime: 'Alipay base library',
  version: undefined,
  source:
    "an Alipay base library whose my.connectSocket takes multiple: true, a version Alipay does not name (opendocs.alipay.com/mini/api/vx19c3); my.canIUse('connectSocket.object.multiple') tells",
};

/** Douyin: `tt.connectSocket` and its SocketTask from base library 1.0.0. */
export const douyinMinimum: PlatformMinimum = {
  platform: 'tt',
  methods: ['connectSocket'],
  runtime: 'Douyin base library',
  version: '1.0.0',
  source: 'tt.connectSocket: "基础库 1.0.0 开始支持本方法" (developer.open-douyin.com)',
};

/**
 * uni-app: a SocketTask from `uni.connectSocket` when a callback is passed, on every runtime; App before 2.2.6
 * sends and receives no ArrayBuffer and holds one socket (docs/platforms.md#oldest-versions). A mini-program build also needs that
 * platform's own minimum (WeChat 1.7.0, Baidu 1.9.4).
 */
export const uniMinimum: PlatformMinimum = {
  platform: 'uni',
  methods: ['connectSocket'],
  runtime: 'uni-app',
  version: '2.2.6',
  source:
    '"App平台，2.2.6以下的版本，不支持 ArrayBuffer 类型的数据收发" and one socket only (uniapp.dcloud.net.cn/api/request/websocket.html)',
};

/**
 * Taro: `Taro.connectSocket` resolves with a SocketTask from Taro 1.x on. A mini-program build also needs that
 * platform's own minimum (WeChat 1.7.0, Baidu 1.9.4).
 */
export const taroMinimum: PlatformMinimum = {
  platform: 'Taro',
  methods: ['connectSocket'],
  runtime: 'Taro',
  version: '1.0.0',
  source:
    "Taro 1.x's connectSocket page: Taro.connectSocket(...).then(task => ...) (docs.taro.zone/docs/1.x/apis/network/socket/connectSocket)",
};

/**
 * Every mini-program adapter's minimum, by adapter: the one table of the versions this package needs. Each adapter's
 * entry exports its own.
 *
 * @example
 * ```ts
 * import { wechatMinimum } from 'socket-task-machine/adapters/wechat';
 * console.log(wechatMinimum.version); // '1.7.0'
 * ```
 */
export const MINIMUM = {
  wechat: wechatMinimum,
  wechatLegacy: wechatLegacyMinimum,
  qq: qqMinimum,
  baidu: baiduMinimum,
  alipay: alipayMinimum,
  douyin: douyinMinimum,
  uniApp: uniMinimum,
  taro: taroMinimum,
} as const;

/** `'WeChat base library 1.7.0 or later'`; where no version is documented, what is needed and how to tell. */
export function requirement({ runtime, version, source }: PlatformMinimum): string {
  return version === undefined ? source : `${runtime} ${version} or later`;
}
