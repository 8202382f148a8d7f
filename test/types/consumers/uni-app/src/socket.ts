// A uni-app (Vue 3) app's socket module: the global `uni`, as @dcloudio/types declares it, goes to the adapter.
import { createConnection } from 'socket-task-machine';
import { uniAdapter } from 'socket-task-machine/adapters/uni-app';

export const connection = createConnection({
  url: 'wss://example.com/socket',
  adapter: uniAdapter({ uni }),
  heartbeat: { interval: 20_000 },
});

connection.onMessage(({ data }) => {
  if (typeof data === 'string') uni.showToast({ title: data, icon: 'none' });
});
connection.onStateChange((state) => uni.setNavigationBarTitle({ title: state }));
