// A page that shows the last message of the app's connection and closes it when it unloads.
import { connection } from '../../utils/socket';

Page({
  data: { last: '' },
  onLoad() {
    connection.onMessage(({ data }) => {
      if (typeof data === 'string') this.setData({ last: data });
    });
  },
  onUnload() {
    connection.close({
      code: 1000,
      reason: 'page unloaded',
      success: () => wx.showToast({ title: 'closed' }),
    });
  },
});
