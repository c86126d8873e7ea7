// Loaded with `node --import` into the relayq processes the tests spawn when RELAYQ_CHILD_COVERAGE
// names a directory (npm run coverage sets it): records the process's V8 block coverage of the
// project's own files, with the code V8 ran (tsx's output, with its inline source map), and
// writes both there when the process exits. scripts/coverage/run.js merges them into the report.
// A process killed with SIGKILL writes nothing: what it ran is not counted.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.env.RELAYQ_CHILD_COVERAGE;
const root = pathToFileURL(`${process.env.RELAYQ_COVERAGE_ROOT ?? process.cwd()}/`).href;

if (dir) {
  const session = new Session();
  session.connect();
  const scripts = new Set();
  session.on('Debugger.scriptParsed', ({ params }) => {
    if (params.url.startsWith(root) && !params.url.includes('/node_modules/')) scripts.add(params.scriptId);
  });
  session.post('Debugger.enable');
  session.post('Profiler.enable');
  session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  process.once('exit', () => {
    // A session on the process's own thread answers synchronously, so this runs to the end here.
    session.post('Profiler.takePreciseCoverage', (error, coverage) => {
      if (error) return;
      const taken = [];
      for (const script of coverage.result) {
        if (!scripts.has(script.scriptId)) continue;
        session.post('Debugger.getScriptSource', { scriptId: script.scriptId }, (sourceError, source) => {
          if (!sourceError) taken.push({ url: script.url, source: source.scriptSource, functions: script.functions });
        });
      }
      writeFileSync(join(dir, `child-${process.pid}-${Date.now()}.json`), JSON.stringify(taken));
    });
  });
}
