import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'machines/index': 'src/machines/index.ts',
    'adapters/node': 'src/adapters/node.ts',
    'adapters/web': 'src/adapters/web.ts',
    'adapters/wechat': 'src/adapters/wechat.ts',
    'adapters/qq': 'src/adapters/qq.ts',
    'adapters/baidu': 'src/adapters/baidu.ts',
    'adapters/alipay': 'src/adapters/alipay.ts',
    'adapters/douyin': 'src/adapters/douyin.ts',
    'adapters/uni-app': 'src/adapters/uni-app.ts',
    'adapters/taro': 'src/adapters/taro.ts',
    // Node only: the kit runs its own server.
    'conformance/index': 'src/conformance/index.ts',
    'conformance/vitest': 'src/conformance/vitest.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'es2020',
  platform: 'neutral',
  splitting: true,
  treeshake: true,
  external: ['xstate', 'ws', 'fast-check', 'vitest', /^node:/],
});
