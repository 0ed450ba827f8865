/**
 * Runs `cner serve` through the CLI dispatcher (src/hosts/cli/main.ts) in a child process, for the load test and
 * the benchmark: `node --import tsx test/http/serve-main.ts serve --model FILE --port 0`. Uses the registered
 * command list when it has `serve`, else the serve command alone.
 */
import { main } from '../../src/hosts/cli/main.js';
import { commands } from '../../src/hosts/cli/commands/index.js';
import { serveCommand } from '../../src/hosts/cli/commands/serve.js';

const list = commands.some((c) => c.name === 'serve') ? commands : [serveCommand];
process.exitCode = await main(process.argv.slice(2), list);
