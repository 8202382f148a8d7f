import { WebSocket } from 'ws';
import { wechatAdapter } from '../../src/adapters/wechat.js';
import { withoutLifecycle } from '../fixtures/platforms/appLifecycle.js';
import { createFakeWx } from '../fixtures/platforms/wechat.js';
import { faultSuite } from './schedule.js';

// The WeChat device fake over real sockets: a close while CONNECTING is ignored, and at most 2 sockets at once.
faultSuite('wechat', {
  adapter: () => wechatAdapter({ wx: withoutLifecycle(createFakeWx({ WebSocket })) as never }),
  allowInsecure: true,
});
