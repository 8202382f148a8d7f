// `npm run inspect`: the offline inspector on http://127.0.0.1:4321/ (or PORT), until Ctrl-C.
import { startInspector } from './inspect/server.js';

const port = process.env.PORT === undefined ? 4321 : Number(process.env.PORT);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`inspect: PORT must be a port number (0–65535), got ${JSON.stringify(process.env.PORT)}`);
  process.exit(1);
}

const inspector = await startInspector({ port });
console.log(`socket-task-machine inspector: ${inspector.url} (Ctrl-C to stop)`);

process.once('SIGINT', () => {
  inspector.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
