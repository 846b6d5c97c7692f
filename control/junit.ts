// control/junit.ts — JUnit XML for test-all: one test case per run, readable by CI test reporters.

/** JunitCase: one run as a test case; `failure` for a wrong verdict, `error` for a crash. */
export interface JunitCase {
  classname: string;
  name: string;
  timeS: number;
  failure?: { message: string; body: string };
  error?: { message: string; body: string };
  systemOut?: string;
}

/**
 * escapeXml escapes text for XML content and attribute values, and drops the characters XML
 * 1.0 cannot hold at all (control characters other than tab, newline and carriage return,
 * lone surrogates, U+FFFE/U+FFFF).
 */
export function escapeXml(text: string): string {
  const legal = text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
  return legal
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** attribute escapes an attribute value; newlines become &#10; so they survive attribute normalisation. */
function attribute(text: string): string {
  return escapeXml(text).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

/** junitXml renders one suite of cases. */
export function junitXml(suiteName: string, cases: readonly JunitCase[], timestamp: Date = new Date()): string {
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const errors = cases.filter((c) => c.error !== undefined).length;
  const totalS = cases.reduce((sum, c) => sum + c.timeS, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attribute(suiteName)}" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${totalS.toFixed(3)}">`,
    `  <testsuite name="${attribute(suiteName)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" time="${totalS.toFixed(3)}" timestamp="${timestamp.toISOString()}">`,
  ];
  for (const c of cases) {
    lines.push(`    <testcase classname="${attribute(c.classname)}" name="${attribute(c.name)}" time="${c.timeS.toFixed(3)}">`);
    if (c.failure !== undefined) lines.push(`      <failure message="${attribute(c.failure.message)}" type="verdict">${escapeXml(c.failure.body)}</failure>`);
    if (c.error !== undefined) lines.push(`      <error message="${attribute(c.error.message)}" type="crash">${escapeXml(c.error.body)}</error>`);
    if (c.systemOut !== undefined) lines.push(`      <system-out>${escapeXml(c.systemOut)}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
