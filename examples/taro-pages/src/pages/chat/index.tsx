// src/pages/chat/index.tsx: the chat lines while the page is open. Its useMessage handler goes when it unmounts.
import { Button, Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useState } from 'react';
import { useConnection, useMessage } from 'socket-task-machine/react';
import { serverMessage, socket } from '../../socket';

export default function Chat() {
  const { status, send } = useConnection(socket);
  const [lines, setLines] = useState<Array<{ id: number; text: string }>>([]);
  useMessage(socket, ({ data }) => {
    const message = serverMessage(data);
    if (message?.type !== 'chat') return;
    setLines((shown) => [...shown, { id: shown.length, text: `${message.from}: ${message.text}` }]);
  });
  // Sent now, or queued while the socket is not open and written on the next open.
  const wave = () => {
    send(JSON.stringify({ type: 'say', text: '👋' })).catch((error) =>
      console.warn(error.code, error.message),
    );
  };

  return (
    <View>
      <Text className="status">{status}</Text>
      {lines.map((line) => (
        <Text key={line.id} className="line">
          {line.text}
        </Text>
      ))}
      <Button className="wave" onClick={wave}>
        👋
      </Button>
      <Button className="back" onClick={() => Taro.navigateBack()}>
        Back
      </Button>
    </View>
  );
}
