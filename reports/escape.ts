// reports/escape.ts — make untrusted text (values from the system under test) safe inside HTML.

/**
 * scriptJson serialises `value` for a `<script type="application/json">` block. `<`, `>` and
 * `&` become \u escapes so no value can close the script element or open a comment, and
 * U+2028/U+2029 are escaped because some parsers treat them as line ends. Infinity and NaN,
 * which JSON lacks, become null.
 */
export function scriptJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
  if (text === undefined) return 'null';
  return text
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** escapeHtml escapes text for an HTML text node or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** inlineScript makes our own (trusted) script text safe to inline: it must not close its element. */
export function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** inlineStyle makes trusted CSS safe to inline in a <style> element. */
export function inlineStyle(source: string): string {
  return source.replace(/<\/(style)/gi, '<\\/$1');
}

/** truncateText shortens long strings for display, saying how much was cut. */
export function truncateText(text: string, charsMax: number): string {
  if (text.length <= charsMax) return text;
  return `${text.slice(0, charsMax)}… (${text.length - charsMax} more chars)`;
}
