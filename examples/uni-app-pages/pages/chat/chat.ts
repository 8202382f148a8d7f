// pages/chat/chat.ts: the chat lines while the page is open. Its useMessage handler goes when the page unloads.
import { useConnection, useMessage } from 'socket-task-machine/vue';
import { defineComponent, h, ref } from 'vue';
import { serverMessage, socket } from '../../socket';

export default defineComponent({
  name: 'ChatPage',
  setup: () => {
    const { status, send } = useConnection(socket);
    const lines = ref<string[]>([]);
    useMessage(socket, ({ data }) => {
      const message = serverMessage(data);
      if (message?.type === 'chat') lines.value.push(`${message.from}: ${message.text}`);
    });
    // Sent now, or queued while the socket is not open and written on the next open.
    const wave = () => {
      send(JSON.stringify({ type: 'say', text: '👋' })).catch((error) =>
        console.warn(error.code, error.message),
      );
    };

    return () =>
      h('view', [
        h('text', { class: 'status' }, status.value),
        ...lines.value.map((line) => h('text', { class: 'line' }, line)),
        h('button', { class: 'wave', onClick: wave }, '👋'),
        h('button', { class: 'back', onClick: () => uni.navigateBack() }, 'Back'),
      ]);
  },
});
