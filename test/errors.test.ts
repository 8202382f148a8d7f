import { describe, expect, it } from 'vitest';
import { SocketTaskError } from '../src/errors.js';
import { SocketTaskError as PublicSocketTaskError } from '../src/index.js';

describe('SocketTaskError', () => {
  it('carries its name, stable code and message', () => {
    const error = new SocketTaskError('ERR_NOT_OPEN', 'send(): not open: readyState 0 (CONNECTING)');
    expect(error.name).toBe('SocketTaskError');
    expect(error.code).toBe('ERR_NOT_OPEN');
    expect(error.message).toBe('send(): not open: readyState 0 (CONNECTING)');
    expect(String(error)).toMatch(/^SocketTaskError: send\(\): not open: readyState 0 \(CONNECTING\)$/);
    expect(error.stack).toMatch(/^SocketTaskError: send\(\): not open/);
  });

  it('is an instance of SocketTaskError and of Error', () => {
    const error = new SocketTaskError('ERR_NOT_OPEN', 'not open');
    expect(error).toBeInstanceOf(SocketTaskError);
    expect(error).toBeInstanceOf(Error);
    expect(Object.prototype.toString.call(error)).toBe('[object Error]');
  });

  it('is the class exported from the package entry', () => {
    expect(PublicSocketTaskError).toBe(SocketTaskError);
  });

  it("carries the platform's error as cause", () => {
    const platform = { errMsg: 'sendSocketMessage:fail' };
    expect(new SocketTaskError('ERR_PLATFORM', 'failed', { cause: platform }).cause).toBe(platform);
    const thrown = new TypeError('bad');
    expect(new SocketTaskError('ERR_PLATFORM', 'failed', { cause: thrown }).cause).toBe(thrown);
  });

  it('has no cause unless one is given', () => {
    expect('cause' in new SocketTaskError('ERR_INVALID_DATA', 'bad data')).toBe(false);
    expect('cause' in new SocketTaskError('ERR_INVALID_DATA', 'bad data', {})).toBe(false);
  });

  it('can be told apart from other errors by code', () => {
    const errors: unknown[] = [new SocketTaskError('ERR_INVALID_URL', 'u'), new Error('plain')];
    const codes = errors.map((e) => (e instanceof SocketTaskError ? e.code : undefined));
    expect(codes).toEqual(['ERR_INVALID_URL', undefined]);
  });
});
