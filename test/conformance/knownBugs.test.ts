// Issue 17's true positives, each replayed by hand against the real implementation and judged by the kit's rules:
// the kit must keep catching them. (The deliberately broken tasks of broken.ts are caught in broken.test.ts.)

import { afterEach, describe, expect, it } from 'vitest';
import websocket from 'websocket';
import { type WebSocket, WebSocketServer } from 'ws';
import { taskOverWebSocket, type WhatwgSocket } from '../../scripts/conformance/whatwgTask.js';
import { receivedViolation, serverCloseViolation } from '../../src/conformance/checkSocketTask.js';
import { checkTrace } from '../../src/conformance/checkTrace.js';
import { recordSocketTask } from '../../src/conformance/recorder.js';

let server: WebSocketServer | undefined;

afterEach(async () => {
  for (const client of server?.clients ?? []) client.terminate();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A ws server on 127.0.0.1 that runs `onConnection` for each socket; resolves with its url. */
async function serve(onConnection: (socket: WebSocket) => void): Promise<string> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket) => {
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise((resolve) => server?.once('listening', resolve));
  return `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** The websocket package's W3CWebSocket behind the thinnest task, recorded. */
function w3c(url: string) {
  return recordSocketTask(taskOverWebSocket(new websocket.w3cwebsocket(url) as unknown as WhatwgSocket));
}

const closed = (task: { onClose(listener: () => void): void }) =>
  new Promise<void>((resolve) => task.onClose(() => resolve()));

describe("the websocket package's W3CWebSocket, as issue 17 reports it", () => {
  it('drops an empty text frame: the kit reports the messages received as not those sent', async () => {
    const sent = ['', 'after the empty one'];
    const url = await serve((socket) => {
      for (const message of sent) socket.send(message);
      socket.close(1000, '');
    });
    const { task, trace } = w3c(url);
    await closed(task);
    expect(receivedViolation(trace, sent)).toBe(
      'message 0 received by the task was "after the empty one"; the server sent ["","after the empty one"]',
    );
    // The same trace with the empty message delivered passes the rule.
    const whole = [{ type: 'event', event: 'message', data: '' } as const, ...trace];
    expect(receivedViolation(whole, sent)).toBe(undefined);
  });

  it("reports 1006 after a write past the peer's close: the kit reports the server's close as lost", async () => {
    const url = await serve((socket) => socket.on('message', () => socket.close(3000, 'bye')));
    const { task, trace } = w3c(url);
    const done = closed(task);
    task.onOpen(() => {
      task.send({ data: 'close please' });
      // Writes on every turn of the event loop, as a busy app would, so that one lands after the server's close
      // frame has come in and before the socket's close event.
      let writing = true;
      task.onClose(() => {
        writing = false;
      });
      const write = () => {
        if (!writing) return;
        task.send({ data: 'x' });
        setImmediate(write);
      };
      write();
    });
    await done;
    expect(trace.find((s) => s.type === 'event' && s.event === 'close')).toMatchObject({ code: 1006 });
    expect(serverCloseViolation(trace, { code: 3000, reason: 'bye' }, undefined)).toMatch(
      /^the server closed with 3000 "bye"; the task reported 1006 /,
    );
    // The trace alone breaks nothing: only the server's side shows the lost close.
    expect(checkTrace(trace, { closeWhileConnecting: 'aborts' })).toEqual([]);
  });
});
