// docs/platforms.md states the oldest version of each adapter and the profile of each platform; the code holds
// them too (MINIMUM, the exported profiles). These checks fail when the page and the code disagree.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MINIMUM } from '../../src/adapters/minimums.js';
import type { PlatformProfile } from '../../src/adapters/types.js';
import { ADAPTER_FACTORIES } from '../fixtures/adapterFactories.js';
import { RUNTIME_PROFILES } from '../fixtures/runtime/miniProgramRuntime.js';
import { ROOT, readPage, section, tableRows } from './markdown.js';

const page = readPage('docs/platforms.md');

const factoryOf = (cell: string) => /^`(\w+)\(/.exec(cell)?.[1];

describe('docs/platforms.md, Oldest versions', () => {
  const rows = tableRows(section(page, '## Oldest versions'));

  it('has one row per adapter of MINIMUM and no other', () => {
    expect(rows.map(([, adapter = '']) => factoryOf(adapter)).sort()).toEqual(
      Object.values(ADAPTER_FACTORIES).sort(),
    );
  });

  it.each(Object.entries(MINIMUM))(
    'states the version MINIMUM.%s names, as its runtime and version',
    (key, minimum) => {
      const factory = ADAPTER_FACTORIES[key as keyof typeof MINIMUM];
      const row = rows.find(([, adapter = '']) => factoryOf(adapter) === factory);
      expect(row, `no row for ${factory}`).toBeDefined();
      const oldest = row?.[2] ?? '';
      const expected =
        minimum.version === undefined
          ? `${minimum.runtime}, no version named`
          : `${minimum.runtime} ${minimum.version}`;
      expect(oldest.startsWith(expected), `${factory}: "${oldest}" should start with "${expected}"`).toBe(
        true,
      );
      // A version written after the stated one (e.g. "(close code and reason from 1.4.0)") is a note, never an
      // older minimum: the stated one is the first.
      const first = /\d+\.\d+\.\d+/.exec(oldest)?.[0];
      expect(first).toBe(minimum.version);
    },
  );

  it('names, for every adapter, each engine profile the runtime tests load the package in', () => {
    for (const [, adapter = '', , engines = ''] of rows) {
      for (const profile of RUNTIME_PROFILES) expect(engines, adapter).toContain(`\`${profile}\``);
    }
  });
});

/** Every `PlatformProfile` the adapters export, by export name, read from src/adapters/ itself. */
async function exportedProfiles(): Promise<Map<string, PlatformProfile>> {
  const dir = join(ROOT, 'src', 'adapters');
  const profiles = new Map<string, PlatformProfile>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
    const module: Record<string, unknown> = await import(join(dir, file));
    for (const [name, value] of Object.entries(module)) {
      if (
        name.endsWith('Profile') &&
        typeof value === 'object' &&
        value !== null &&
        'closeWhileConnecting' in value
      )
        profiles.set(name, value as PlatformProfile);
    }
  }
  return profiles;
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

describe('docs/platforms.md, Profiles', () => {
  const rows = tableRows(section(page, '## Profiles'));

  it('has one row per exported profile, and they are the ones the adapters use', async () => {
    const profiles = await exportedProfiles();
    expect(profiles.size).toBeGreaterThanOrEqual(11);
    expect(rows.map(([name = '']) => name.replace(/`/g, '')).sort()).toEqual([...profiles.keys()].sort());
  });

  it('states what each exported profile holds', async () => {
    const profiles = await exportedProfiles();
    for (const [name = '', closeWhileConnecting, max, secure, binary, headers, protocols] of rows) {
      const profile = profiles.get(name.replace(/`/g, '')) as PlatformProfile;
      expect(
        [closeWhileConnecting, max, secure, binary, headers, protocols],
        `the row of ${name} disagrees with the exported profile`,
      ).toEqual([
        profile.closeWhileConnecting,
        profile.maxConcurrent === Number.POSITIVE_INFINITY ? '∞' : String(profile.maxConcurrent),
        yesNo(profile.requiresSecureUrl),
        yesNo(profile.binary),
        yesNo(profile.headers),
        yesNo(profile.protocols),
      ]);
    }
  });
});
