// socket-task-machine/conformance/trace in the mini-program engine: recording and checking a trace on a device
// needs no Node module, only xstate (taken as a bundler gives it to a uni-app or Taro build).
import { afterAll, describe, expect, it } from 'vitest';
import type * as Portable from '../../src/conformance/portable.js';
import { createMiniProgramRuntime, RUNTIME_PROFILES } from '../fixtures/runtime/miniProgramRuntime.js';
import { shippedDistProject } from '../fixtures/runtime/shipped.js';

const project = shippedDistProject();
afterAll(() => project.remove());

describe.each(RUNTIME_PROFILES.filter((profile) => profile !== 'ios15'))('in the %s engine', (profile) => {
  it('loads the recorder entry, records a task made in the engine and checks its trace there', () => {
    const runtime = createMiniProgramRuntime(profile, project.root);
    const kit = runtime.require('dist/conformance/trace.cjs') as typeof Portable;
    // A task of the engine's own making: it opens, then reports an open again after its close.
    const fire = runtime.evaluate(`(() => {
      const listeners = { open: [], message: [], error: [], close: [] };
      const task = {
        send(o) { o.success && o.success({}); o.complete && o.complete(); },
        close(o) { o.success && o.success({}); o.complete && o.complete(); },
        onOpen(l) { listeners.open.push(l); },
        onMessage(l) { listeners.message.push(l); },
        onError(l) { listeners.error.push(l); },
        onClose(l) { listeners.close.push(l); },
      };
      const fire = (kind, payload) => { for (const l of listeners[kind]) l(payload); };
      return { task, fire };
    })()`) as {
      task: Parameters<typeof Portable.recordSocketTask>[0];
      fire: (kind: string, payload?: unknown) => void;
    };
    const { task, trace } = kit.recordSocketTask(fire.task);
    task.onOpen(() => {});
    task.onClose(() => {});
    fire.fire('open', {});
    fire.fire('close', { code: 1000, reason: '' });
    fire.fire('open', {});
    const violations = kit.checkTrace(trace, { closeWhileConnecting: 'ignored' });
    expect(violations.map((v) => v.property)).toEqual(['no-open-after-close-or-error']);
  });

  it('cannot load the Node entry (socket-task-machine/conformance): the engine has no http, which that one needs', () => {
    const runtime = createMiniProgramRuntime(profile, project.root);
    expect(() => runtime.require('dist/conformance/index.cjs')).toThrow();
  });
});
