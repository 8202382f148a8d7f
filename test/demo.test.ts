import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TIMEOUT = 30_000;
const STATES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runDemo(): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('node_modules/.bin/tsx', ['scripts/demo.ts'], {
      cwd: ROOT,
      timeout: TIMEOUT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The demo's lines for one connection (or task) label, without the label. */
function linesOf(output: string, label: string): string[] {
  const prefix = `[${label}]`;
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length).trim());
}

/** `PREVIOUS → STATE` pairs, in order, as printed by the connection's onStateChange. */
function transitions(lines: string[]): string[] {
  const pattern = /^(CONNECTING|OPEN|CLOSING|CLOSED) → (CONNECTING|OPEN|CLOSING|CLOSED)\b/;
  return lines.flatMap((line) => {
    const match = pattern.exec(line);
    return match ? [`${match[1]} → ${match[2]}`] : [];
  });
}

function events(lines: string[], name: 'onOpen' | 'onMessage' | 'onError' | 'onClose'): string[] {
  return lines.filter((line) => line === name || line.startsWith(`${name} `));
}

function taskReadyStates(lines: string[]): number[] {
  const history = lines.find((line) => line.startsWith('readyState history:'));
  if (history === undefined) throw new Error('no readyState history printed');
  return [...history.matchAll(/\b([0-3]) [A-Z]+/g)].map((match) => Number(match[1]));
}

describe('npm start (scripts/demo.ts)', () => {
  let run: Run;

  beforeAll(async () => {
    run = await runDemo();
  }, TIMEOUT + 5_000);

  it('exits 0 by itself within the time limit', () => {
    expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 0, signal: null });
  });

  it('moves every connection forward only within an attempt, through the readyStates 0 → 1 → 2 → 3', () => {
    const labels = new Set([...run.stdout.matchAll(/^\s*\[([^\]]+)\]/gm)].map((match) => match[1] ?? ''));
    let checked = 0;
    for (const label of labels) {
      for (const step of transitions(linesOf(run.stdout, label))) {
        // A reconnect starts a new attempt: CLOSED → CONNECTING is the only way back.
        if (step === 'CLOSED → CONNECTING') continue;
        const [from, to] = step.split(' → ') as [(typeof STATES)[number], (typeof STATES)[number]];
        expect(STATES.indexOf(to), `${label}: ${step}`).toBeGreaterThan(STATES.indexOf(from));
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(12);
  });

  it('node adapter: opens, echoes text and binary, and closes with the client code and reason', () => {
    const lines = linesOf(run.stdout, 'node');
    expect(transitions(lines)).toEqual(['CONNECTING → OPEN', 'OPEN → CLOSING', 'CLOSING → CLOSED']);
    expect(events(lines, 'onOpen')).toHaveLength(1);
    const messages = events(lines, 'onMessage').join('\n');
    expect(messages).toContain('"hello"');
    expect(messages).toContain('de ad be ef 00 2a');
    expect(events(lines, 'onClose')).toEqual([expect.stringMatching(/\b1000\b.*"tour over"/)]);
    expect(linesOf(run.stdout, 'server').join('\n')).toMatch(/\b1000\b.*"tour over"/);
  });

  it('server-initiated close: OPEN goes straight to CLOSED with the server code 4000', () => {
    const lines = linesOf(run.stdout, 'node/kicked');
    expect(transitions(lines)).toEqual(['CONNECTING → OPEN', 'OPEN → CLOSED']);
    expect(events(lines, 'onClose')).toEqual([expect.stringMatching(/\b4000\b.*"server going away"/)]);
  });

  it('queue: messages sent while the server is down are written in order on reconnect, before onOpen sends', () => {
    const lines = linesOf(run.stdout, 'node/queue');
    expect(transitions(lines)).toEqual([
      'CONNECTING → OPEN',
      'OPEN → CLOSED',
      'CLOSED → CONNECTING',
      'CONNECTING → OPEN',
      'OPEN → CLOSING',
      'CLOSING → CLOSED',
    ]);
    expect(lines).toContain('conn.queue: {"messages":3,"bytes":16}');
    expect(lines.filter((line) => line.startsWith('written'))).toEqual([
      'written     "first"',
      'written     "second"',
      'written     "third"',
    ]);
    const received = linesOf(run.stdout, 'server').filter((line) => line.startsWith('received'));
    expect(received.slice(-4)).toEqual([
      'received "first"',
      'received "second"',
      'received "third"',
      'received "from onOpen"',
    ]);
  });

  it('web adapter: the same lifecycle and echoes over the WHATWG WebSocket', () => {
    const lines = linesOf(run.stdout, 'web');
    expect(transitions(lines)).toEqual(['CONNECTING → OPEN', 'OPEN → CLOSING', 'CLOSING → CLOSED']);
    const messages = events(lines, 'onMessage').join('\n');
    expect(messages).toMatch(/text "/);
    expect(messages).toContain('01 02 03');
    expect(events(lines, 'onClose')).toEqual([expect.stringMatching(/\b1000\b/)]);
  });

  it("closeBeforeOpen 'defer': goes CONNECTING → CLOSING → CLOSED without ever being OPEN, and the task does not leak", () => {
    const lines = linesOf(run.stdout, 'wechat/defer');
    expect(transitions(lines)).toEqual(['CONNECTING → CLOSING', 'CLOSING → CLOSED']);
    expect(lines.some((line) => /→ OPEN\b/.test(line))).toBe(false);
    expect(events(lines, 'onOpen')).toEqual([]);
    expect(events(lines, 'onClose')).toEqual([expect.stringMatching(/\b1000\b/)]);

    const task = linesOf(run.stdout, 'defer task');
    // The platform did open the task (WeChat ignores the early close); the manager closed it right away.
    expect(taskReadyStates(task)).toEqual([0, 1, 2, 3]);
    expect(task).toContain('leaking (left OPEN): false');
  });

  it("closeBeforeOpen 'ignore': the platform ignores the close, the socket opens and stays OPEN until closed again", () => {
    const lines = linesOf(run.stdout, 'wechat/ignore');
    expect(transitions(lines)).toEqual(['CONNECTING → OPEN', 'OPEN → CLOSING', 'CLOSING → CLOSED']);
    expect(events(lines, 'onOpen')).toHaveLength(1);
    expect(events(lines, 'onMessage')).toHaveLength(1);
    expect(events(lines, 'onClose')).toEqual([expect.stringMatching(/\b1000\b.*"closing for real"/)]);

    const task = linesOf(run.stdout, 'ignore task');
    const ignoredAt = task.findIndex((line) => /close\(.*"too early".*\) → ignored/.test(line));
    const openedAt = task.indexOf('log: platform open');
    expect(ignoredAt).toBeGreaterThanOrEqual(0);
    expect(openedAt).toBeGreaterThan(ignoredAt);
    expect(taskReadyStates(task)).toEqual([0, 1, 2, 3]);
    expect(task).toContain('leaking (left OPEN): false');
  });
  it('heartbeat: a server that goes silent is detected with ERR_HEARTBEAT_TIMEOUT and the connection ends once', () => {
    const lines = linesOf(run.stdout, 'node/heartbeat');
    // Presumed dead: CLOSED at once, with no close handshake into the dead link.
    expect(transitions(lines)).toEqual(['CONNECTING → OPEN', 'OPEN → CLOSED']);
    expect(events(lines, 'onError')).toEqual([expect.stringMatching(/heartbeat timeout/)]);
    expect(lines).toContain('error code  ERR_HEARTBEAT_TIMEOUT');
    expect(events(lines, 'onClose')).toHaveLength(1);
  });
  it('reconnect: the server restarts; retries wait 100, 200, 400 ms, and the connection comes back OPEN', () => {
    const lines = linesOf(run.stdout, 'node/reconnect');
    const waits = lines.flatMap((line) => {
      const match = /^retry \d+ in (\d+) ms/.exec(line);
      return match ? [Number(match[1])] : [];
    });
    expect(waits.length).toBeGreaterThanOrEqual(3);
    // Each wait is the backoff minus the few ms between scheduling and printing.
    waits.slice(0, 3).forEach((wait, i) => {
      expect(wait).toBeLessThanOrEqual(100 * 2 ** i);
      expect(wait).toBeGreaterThan(100 * 2 ** i - 50);
    });
    const steps = transitions(lines);
    expect(steps.filter((step) => step === 'CLOSED → CONNECTING')).toHaveLength(waits.length);
    expect(steps.at(-1)).toBe('CLOSING → CLOSED');
    expect(events(lines, 'onMessage')).toEqual([expect.stringMatching(/back again/)]);
  });
});
