import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { transformAsync } from '@babel/core';
import { defineConfig } from 'tsup';

/** The subpaths a mini-program may `require`; each is a file in miniprogram_dist/ re-exporting the one bundle. */
export const MINIPROGRAM_ADAPTERS = ['wechat', 'qq', 'baidu', 'alipay', 'douyin', 'uni-app', 'taro'] as const;

export default defineConfig([
  {
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
      // Anywhere: recordSocketTask and checkTrace, with xstate alone.
      'conformance/trace': 'src/conformance/portable.ts',
      // Framework bindings: the app's own copy of the framework, never a second one.
      'vue/index': 'src/vue/index.ts',
      'react/index': 'src/react/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    target: 'es2020',
    platform: 'neutral',
    splitting: true,
    treeshake: true,
    external: ['xstate', 'ws', 'fast-check', 'vitest', 'vue', 'react', /^node:/],
  },
  {
    // WeChat's "构建 npm" copies the `miniprogram` folder as it is: no exports map, no bundler, no syntax newer
    // than the oldest client's engine. So xstate goes in, and everything is lowered to ES2015.
    entry: { index: 'src/miniprogram.ts' },
    outDir: 'miniprogram_dist',
    format: ['cjs'],
    outExtension: () => ({ js: '.js' }),
    dts: false,
    clean: true,
    target: 'es2015',
    platform: 'neutral',
    splitting: false,
    treeshake: true,
    minify: true,
    noExternal: ['xstate'],
    async onSuccess() {
      // esbuild cannot lower a destructured rest parameter (ES2016: xstate's `createActor(logic, ...[options])`).
      const bundle = 'miniprogram_dist/index.js';
      const lowered = await transformAsync(await readFile(bundle, 'utf8'), {
        babelrc: false,
        configFile: false,
        compact: true,
        comments: false,
        sourceType: 'script',
        plugins: ['@babel/plugin-transform-parameters'],
      });
      if (!lowered?.code) throw new Error(`${bundle}: babel gave no output`);
      await writeFile(bundle, lowered.code);
      await mkdir('miniprogram_dist/adapters', { recursive: true });
      for (const name of MINIPROGRAM_ADAPTERS) {
        await writeFile(`miniprogram_dist/adapters/${name}.js`, "module.exports = require('../index.js');\n");
      }
    },
  },
]);
