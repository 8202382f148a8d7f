import { WebSocket } from 'ws';
import { type WebSocketConstructor, webAdapter } from '../../src/adapters/web.js';
import { faultSuite } from './schedule.js';

// ws's WebSocket speaks the WHATWG API too: the web adapter's code path, on Node.
faultSuite('web', { adapter: () => webAdapter({ WebSocket: WebSocket as unknown as WebSocketConstructor }) });
