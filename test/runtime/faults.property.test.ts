// The fault property suite (test/faults/) in the iOS 15 engine, where promise reactions run on timers: one outcome
// per send, order without duplicates, exactly one close, no zombie and no leak must not depend on microtasks.
import { WebSocket } from 'ws';
import type * as Shipped from '../../src/miniprogram.js';
import { faultSuite } from '../faults/schedule.js';
import { withoutLifecycle } from '../fixtures/platforms/appLifecycle.js';
import { createFakeWx } from '../fixtures/platforms/wechat.js';
import { createMembrane } from '../fixtures/runtime/membrane.js';
import { createMiniProgramRuntime } from '../fixtures/runtime/miniProgramRuntime.js';
import { shippedMiniProgramDir } from '../fixtures/runtime/shipped.js';

const runtime = createMiniProgramRuntime('ios15', shippedMiniProgramDir());
const lib = runtime.require<typeof Shipped>('index.js');
const bridge = createMembrane(runtime.evaluate('({ ArrayBuffer, Uint8Array })'));

faultSuite('wechat in the ios15 engine', {
  adapter: () => lib.wechatAdapter({ wx: bridge.inward(withoutLifecycle(createFakeWx({ WebSocket }))) }),
  allowInsecure: true,
  createConnection: lib.createConnection,
  numRuns: 40,
});
