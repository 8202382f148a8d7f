// uni-app: one build for H5, App and every mini-program target.
import { createConnection } from 'socket-task-machine';
import { uniAdapter } from 'socket-task-machine/adapters/uni-app';

export const conn = createConnection({
  url: 'wss://example.com/ws',
  adapter: uniAdapter({ uni }),
  reconnect: {},
  heartbeat: {},
  errorGrace: 500, // the App runtime reports some drops with an error and no close
});
