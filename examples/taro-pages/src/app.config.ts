export default defineAppConfig({
  pages: ['pages/index/index', 'pages/chat/index'],
});
