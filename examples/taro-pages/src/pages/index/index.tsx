// src/pages/index/index.tsx: the home page shows the connection's status and the news; the chat page opens over it.
import { Button, Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useState } from 'react';
import { useConnection, useMessage } from 'socket-task-machine/react';
import { serverMessage, socket } from '../../socket';

export default function Index() {
  const { status, reconnect } = useConnection(socket); // a connection passed in is left open on unmount
  const [news, setNews] = useState<Array<{ id: number; title: string }>>([]);
  useMessage(socket, ({ data }) => {
    const message = serverMessage(data);
    if (message?.type !== 'news') return;
    setNews((shown) => [...shown, { id: shown.length, title: message.title }]);
  });

  return (
    <View>
      <Text className="status">{status}</Text>
      {status === 'waiting' && (
        <Button className="retry" onClick={reconnect}>
          Retry now
        </Button>
      )}
      {news.map((item) => (
        <Text key={item.id} className="news">
          {item.title}
        </Text>
      ))}
      <Button className="open-chat" onClick={() => Taro.navigateTo({ url: '/pages/chat/index' })}>
        Chat
      </Button>
    </View>
  );
}
