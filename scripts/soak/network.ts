// The soak's network, in its own process so that its work does not count against the client's event loop or
// heap: an echo server on 127.0.0.1 behind the fault proxy. Driven over IPC by scripts/soak/load.ts.
import { type ConnectionMode, faults, type ProxyMode, startFaultProxy } from '../../test/faults/proxy.js';
import { startEchoServer } from '../../test/faults/server.js';

export type NetworkCommand =
  | { type: 'fault'; mode: ConnectionMode }
  | { type: 'newConnections'; mode: ProxyMode }
  | { type: 'restart' }
  | { type: 'heal' }
  | { type: 'census' }
  | { type: 'stop' };

export type NetworkReply =
  | { type: 'ready'; port: number }
  | { type: 'census'; serverSockets: number; proxied: number; serverMessages: number }
  | { type: 'stopped' };

const send = (reply: NetworkReply) => process.send?.(reply);

const server = await startEchoServer();
const proxy = await startFaultProxy({ target: { port: server.port } });
let restarting: Promise<void> | undefined;

process.on('message', async (command: NetworkCommand) => {
  switch (command.type) {
    case 'fault': {
      // One connection at a time, picked at random: the others keep working, as on a real network.
      const live = proxy.connections;
      live[Math.floor(Math.random() * live.length)]?.setMode(command.mode);
      break;
    }
    case 'newConnections':
      proxy.setDefaultMode(command.mode);
      break;
    case 'restart':
      restarting ??= server.restart().finally(() => {
        restarting = undefined;
      });
      break;
    case 'heal':
      await restarting;
      proxy.setDefaultMode(faults.pass());
      proxy.setModeForAll(faults.pass());
      break;
    case 'census':
      send({
        type: 'census',
        serverSockets: server.openSockets.length,
        proxied: proxy.connections.length,
        serverMessages: server.connections.reduce((sum, c) => sum + c.messages.length, 0),
      });
      break;
    case 'stop': {
      // The census has been taken: this is cleanup, bounded so that a socket slow to report its close cannot hold
      // the soak; the process exits right after anyway.
      await Promise.race([
        Promise.all([proxy.close(), server.stop()]),
        new Promise((resolve) => setTimeout(resolve, 5000)),
      ]);
      // Exiting right after send() could lose the reply: exit once it is handed over.
      process.send?.({ type: 'stopped' } satisfies NetworkReply, () => process.exit(0));
    }
  }
});

send({ type: 'ready', port: proxy.port });
