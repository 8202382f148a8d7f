// Alipay: binary is sent and received as ArrayBuffer, base64 is handled for you.
import { createConnection } from 'socket-task-machine';
import { alipayAdapter } from 'socket-task-machine/adapters/alipay';

export const conn = createConnection({
  url: 'wss://example.com/ws',
  adapter: alipayAdapter({ my }),
  reconnect: {},
  heartbeat: {},
});
