import { invalid } from '../options/optionReaders.js';
import { describe } from '../validate.js';

export function connectionLimitPolicy(option: unknown): 'fail' | 'wait' {
  const connectionLimit = option ?? 'fail';
  if (connectionLimit !== 'fail' && connectionLimit !== 'wait') {
    throw invalid(
      `createConnection(): connectionLimit must be 'fail' or 'wait', got ${describe(connectionLimit)}`,
    );
  }
  return connectionLimit;
}
