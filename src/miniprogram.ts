// The one CommonJS file WeChat's "构建 npm" (and QQ's) copies into miniprogram_npm/: the core and every
// mini-program adapter, xstate bundled in, lowered to ES2015. Subpath imports exist there only as files, and
// miniprogram_dist/adapters/<name>.js re-export this module, so both spellings reach one copy of the code.

export { alipayAdapter, alipayProfile } from './adapters/alipay.js';
export { baiduAdapter, baiduProfile } from './adapters/baidu.js';
export { douyinAdapter, douyinProfile } from './adapters/douyin.js';
export { qqAdapter, qqProfile } from './adapters/qq.js';
export { taroAdapter, taroH5Profile, taroProfile } from './adapters/taro.js';
export { uniAdapter, uniProfile } from './adapters/uni-app.js';
export { wechatAdapter, wechatLegacyAdapter, wechatLegacyProfile, wechatProfile } from './adapters/wechat.js';
export * from './index.js';
