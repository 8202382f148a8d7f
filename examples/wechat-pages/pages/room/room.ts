// pages/room/room.ts: one chat room. It joins the room on load and again after every reconnect (a new socket is a
// new session on the server), and on unload leaves the room and drops its subscriptions: the socket stays open for
// the other pages.
import { conn, onServerMessage, sendToServer } from '../../socket';

Page({
  data: { room: '', status: conn.status, lines: [] as string[] },
  unsubscribe: [] as Array<() => void>,

  onLoad(query: Record<string, string | undefined>) {
    const room = query.room ?? 'lobby';
    this.setData({ room, status: conn.status });
    const join = () => sendToServer({ type: 'join', room });
    this.unsubscribe = [
      conn.onStatusChange((status) => this.setData({ status })),
      conn.onReady(join), // after every open, once the queue is written
      onServerMessage((message) => {
        if (message.type === 'chat' && message.room === room) {
          this.setData({ lines: [...this.data.lines, message.text] });
        }
      }),
    ];
    if (conn.status === 'open') join(); // else onReady joins once the socket opens
  },

  onUnload() {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    sendToServer({ type: 'leave', room: this.data.room });
  },

  // <button bindtap="wave">👋</button>
  wave() {
    sendToServer({ type: 'say', room: this.data.room, text: '👋' });
  },
});
