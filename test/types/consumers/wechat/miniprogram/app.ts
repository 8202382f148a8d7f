import { connection } from './utils/socket';

App({
  onHide() {
    connection.send('bye').catch(() => undefined);
  },
});
