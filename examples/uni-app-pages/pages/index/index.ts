// pages/index/index.ts: the home page shows the connection's status and the news; the chat page opens over it.
import { useConnection, useMessage } from 'socket-task-machine/vue';
import { defineComponent, h, ref } from 'vue';
import { serverMessage, socket } from '../../socket';

export default defineComponent({
  name: 'IndexPage',
  setup: () => {
    const { status, reconnect } = useConnection(socket); // a connection passed in is left open on unload
    const news = ref<string[]>([]);
    useMessage(socket, ({ data }) => {
      const message = serverMessage(data);
      if (message?.type === 'news') news.value.push(message.title);
    });
    const openChat = () => uni.navigateTo({ url: '/pages/chat/chat' });

    return () =>
      h('view', [
        h('text', { class: 'status' }, status.value),
        status.value === 'waiting' ? h('button', { class: 'retry', onClick: reconnect }, 'Retry now') : null,
        ...news.value.map((title) => h('text', { class: 'news' }, title)),
        h('button', { class: 'open-chat', onClick: openChat }, 'Chat'),
      ]);
  },
});
