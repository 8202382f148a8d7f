import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'machines/index': 'src/machines/index.ts',
    'adapters/node': 'src/adapters/node.ts',
    'adapters/web': 'src/adapters/web.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'es2020',
  platform: 'neutral',
  splitting: true,
  treeshake: true,
  external: ['xstate', 'ws'],
});
