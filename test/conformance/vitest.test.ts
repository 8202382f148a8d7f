import { nodeAdapter } from '../../src/adapters/node.js';
import { testSocketTask } from '../../src/conformance/vitest.js';

const adapter = nodeAdapter();

// The one line a user writes: a test that fails with the kit's report.
testSocketTask('the Node adapter conforms, checked through the vitest helper', {
  connect: (t) => adapter.connect(t),
  profile: adapter.profile,
  numRuns: 50,
});
