// Compiles uniAdapter against the global `uni` exactly as @dcloudio/types declares it.

import type { SocketAdapter } from '../../../src/adapters/types.js';
import { uniAdapter } from '../../../src/adapters/uni-app.js';
import type { MiniProgramLifecycleHost } from '../../../src/lifecycle/platformSources.js';

export const adapter: SocketAdapter = uniAdapter({ uni });

// Every lifecycle function the vendor declares, as declared, is one the adapter can subscribe to.
export const lifecycleHost: Required<MiniProgramLifecycleHost> = uni;

// @ts-expect-error a SocketTask is not uni
uniAdapter({ uni: uni.connectSocket({ url: 'wss://example.com', complete: () => {} }) });
// @ts-expect-error a connectSocket that hands back a Promise, not a SocketTask
uniAdapter({ uni: { connectSocket: (options: { url: string }) => Promise.resolve(options.url) } });
// @ts-expect-error the platform object goes under `uni`
uniAdapter({ wx: uni });
// @ts-expect-error the platform object is required
uniAdapter({});
