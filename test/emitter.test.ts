import { afterEach, describe, expect, it, vi } from 'vitest';
import { Emitter } from '../src/emitter.js';
import { captureRethrown } from './fixtures/rethrown.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Emitter', () => {
  it('calls the listeners in order of registration, each once even if registered twice', () => {
    const emitter = new Emitter<[number]>();
    const calls: string[] = [];
    const a = (n: number) => calls.push(`a${n}`);
    emitter.add(a);
    emitter.add((n) => calls.push(`b${n}`));
    emitter.add(a);
    emitter.emit(1);
    expect(calls).toEqual(['a1', 'b1']);
    expect(emitter.size).toBe(2);
  });

  it('does not call a listener added during a dispatch for that same event, but for the next one', () => {
    const emitter = new Emitter<[number]>();
    const calls: string[] = [];
    emitter.add((n) => {
      calls.push(`first${n}`);
      if (n === 1) emitter.add((m) => calls.push(`late${m}`));
    });
    emitter.emit(1);
    emitter.emit(2);
    expect(calls).toEqual(['first1', 'first2', 'late2']);
  });

  it('does not call a listener removed during a dispatch before its turn', () => {
    const emitter = new Emitter<[]>();
    const calls: string[] = [];
    let offSecond = () => {};
    emitter.add(() => {
      calls.push('first');
      offSecond();
    });
    offSecond = emitter.add(() => calls.push('second'));
    emitter.emit();
    expect(calls).toEqual(['first']);
  });

  it('ends a dispatch whose two listeners keep swapping for each other', () => {
    const emitter = new Emitter<[]>();
    let calls = 0;
    const offs: Array<() => void> = [];
    const one = () => {
      calls++;
      offs[0]?.();
      offs[1] = emitter.add(two);
    };
    const two = () => {
      calls++;
      offs[1]?.();
      offs[0] = emitter.add(one);
    };
    offs[0] = emitter.add(one);
    emitter.emit();
    expect(calls).toBe(1);
    emitter.emit();
    expect(calls).toBe(2);
  });

  it('goes on past a listener that throws, and rethrows its error later, not to the caller of emit()', async () => {
    const emitter = new Emitter<[]>();
    const rethrown = captureRethrown();
    const calls: string[] = [];
    emitter.add(() => {
      throw new Error('listener bug');
    });
    emitter.add(() => calls.push('after'));
    expect(() => emitter.emit()).not.toThrow();
    expect(calls).toEqual(['after']);
    expect(rethrown.errors).toEqual([]);
    await rethrown.flush();
    expect(rethrown.errors).toEqual([new Error('listener bug')]);
  });

  it('unsubscribes only once: a second call of the same unsubscribe removes nothing else', () => {
    const emitter = new Emitter<[]>();
    const calls: string[] = [];
    const listener = () => calls.push('x');
    const off = emitter.add(listener);
    off();
    emitter.add(listener);
    off();
    emitter.emit();
    expect(calls).toEqual(['x']);
  });
});
