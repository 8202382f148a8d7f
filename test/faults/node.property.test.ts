import { WebSocket } from 'ws';
import { nodeAdapter } from '../../src/adapters/node.js';
import { faultSuite } from './schedule.js';

faultSuite('node', { adapter: () => nodeAdapter({ WebSocket }) });
