// Adds up vitest JSON reports into one closing line, `tests: N passed, N failed`, preceded by one
// line per failed test or suite (file, test name, the first line of its message), so the end of
// a CI log says what failed even when the log is cut to its last lines.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
let missing = 0;
const failures = [];
const firstLine = (messages) =>
  String(messages?.[0] ?? '')
    .split('\n')[0]
    .slice(0, 300);
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.error(`no test report at ${file}: that run did not finish`);
    missing++;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const run = file.replace(/^.*\//, '').replace(/\.json$/, '');
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  for (const suite of report.testResults) {
    const where = relative(process.cwd(), suite.name);
    const failedTests = suite.assertionResults.filter((a) => a.status === 'failed');
    for (const t of failedTests)
      failures.push(`${run} ${where} > ${t.fullName}: ${firstLine(t.failureMessages)}`);
    // A suite that failed outside its tests (a hook, an import) has no failed test but did fail.
    if (suite.status === 'failed' && failedTests.length === 0) {
      failed++;
      failures.push(`${run} ${where} (suite): ${firstLine([suite.message])}`);
    }
  }
}
for (const f of failures) console.log(`FAILED ${f}`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || missing > 0 || passed === 0 ? 1 : 0);
