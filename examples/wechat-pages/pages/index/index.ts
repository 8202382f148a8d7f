// pages/index/index.ts: the home page shows the connection's status and the news. It subscribes in onLoad and lets
// go in onUnload; under a page opened from it, it is only hidden, and keeps its subscriptions.
import { conn, onServerMessage } from '../../socket';

Page({
  data: { status: conn.status, news: [] as string[] },
  unsubscribe: [] as Array<() => void>,

  onLoad() {
    this.setData({ status: conn.status });
    this.unsubscribe = [
      conn.onStatusChange((status) => this.setData({ status })),
      onServerMessage((message) => {
        if (message.type === 'news') this.setData({ news: [...this.data.news, message.title] });
      }),
    ];
  },

  onUnload() {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
  },

  // <button wx:if="{{status === 'waiting'}}" bindtap="retryNow">Retry now</button>
  retryNow() {
    conn.reconnect();
  },

  // <view wx:for="{{rooms}}" bindtap="openRoom" data-room="{{item}}">{{item}}</view>
  openRoom(event: WechatMiniprogram.BaseEvent<Record<string, never>, { room: string }>) {
    wx.navigateTo({ url: `/pages/room/room?room=${event.currentTarget.dataset.room}` });
  },
});
