// The one CommonJS file WeChat's "构建 npm" (and QQ's) copies into miniprogram_npm/: the core and every
// mini-program adapter, xstate bundled in, lowered to ES2015. Subpath imports exist there only as files, and
// miniprogram_dist/adapters/<name>.js re-export this module, so both spellings reach one copy of the code.

export * from './adapters/alipay.js';
export * from './adapters/baidu.js';
export * from './adapters/douyin.js';
export * from './adapters/qq.js';
export * from './adapters/taro.js';
export * from './adapters/uni-app.js';
export * from './adapters/wechat.js';
export * from './index.js';
