// The task machine on its own, under a parent that records what it reports.
import { describe, expect, it } from 'vitest';
import { type AnyActorRef, type AnyEventObject, assign, createActor, setup } from 'xstate';
import { taskMachine } from '../../src/machines/task.js';

function startTask() {
  const effects: string[] = [];
  const task = taskMachine.provide({
    actions: {
      takeSlot: () => effects.push('takeSlot'),
      releaseSlot: () => effects.push('releaseSlot'),
      resolveTarget: () => effects.push('resolveTarget'),
      connectSocket: () => effects.push('connectSocket'),
      closeSocket: () => effects.push('closeSocket'),
      terminateSocket: () => effects.push('terminateSocket'),
      abortSocket: () => effects.push('abortSocket'),
      settleSocket: () => effects.push('settleSocket'),
      disownSocket: () => effects.push('disownSocket'),
    },
  });
  const parent = setup({
    types: { context: {} as { reports: AnyEventObject[] } },
    actors: { task },
  }).createMachine({
    context: { reports: [] },
    invoke: {
      id: 'task',
      src: 'task',
      input: { generation: 1, closeWhileConnecting: 'ignored' as const, closeTimeout: 1000 },
    },
    on: { '*': { actions: assign({ reports: ({ context, event }) => [...context.reports, event] }) } },
  });
  const actor = createActor(parent).start();
  const child = actor.getSnapshot().children.task as AnyActorRef;
  const send = (event: AnyEventObject) => child.send(event);
  send({ type: 'target.ready', target: { url: 'wss://example.test/socket' } });
  send({ type: 'socket.handedOver' });
  return {
    send,
    effects,
    status: () => child.getSnapshot().status as string,
    reports: () =>
      actor
        .getSnapshot()
        .context.reports.filter((e) => e.type.startsWith('platform.'))
        .map((e) => `${e.type} ${JSON.stringify(e.event ?? {})}`),
  };
}

describe('taskMachine: the connect call failing after the task was handed over', () => {
  it('reports the failure as an error, then close 1006, and gives the slot back', () => {
    const t = startTask();
    t.send({ type: 'socket.failed', event: { errMsg: 'connectSocket:fail interrupted' } });
    expect(t.reports()).toEqual([
      'platform.error {"errMsg":"connectSocket:fail interrupted"}',
      'platform.close {"code":1006,"reason":""}',
    ]);
    expect(t.status()).toBe('done');
    expect(t.effects.slice(-2)).toEqual(['disownSocket', 'releaseSlot']);
  });

  it('reports only the close when the socket already reported an error: one error per failure', () => {
    const t = startTask();
    t.send({ type: 'socket.error', event: { errMsg: 'network error' } });
    t.send({ type: 'socket.failed', event: { errMsg: 'connectSocket:fail interrupted' } });
    expect(t.reports()).toEqual([
      'platform.error {"errMsg":"network error"}',
      'platform.close {"code":1006,"reason":""}',
    ]);
    expect(t.status()).toBe('done');
  });

  it('reports only the close when it fails while a close asked after an error waits', () => {
    const t = startTask();
    t.send({ type: 'socket.error', event: { errMsg: 'network error' } });
    t.send({ type: 'close' });
    t.send({ type: 'socket.failed', event: { errMsg: 'connectSocket:fail interrupted' } });
    expect(t.reports()).toEqual([
      'platform.error {"errMsg":"network error"}',
      'platform.close {"code":1006,"reason":""}',
    ]);
    expect(t.status()).toBe('done');
  });
});
