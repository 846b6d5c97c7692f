// reports/escape.test.ts — untrusted values cannot escape the JSON script block or HTML text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, inlineScript, scriptJson } from './escape.ts';

describe('scriptJson', () => {
  it('round-trips any JSON value and never emits <, > or &', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const text = scriptJson(value);
      expect(text).not.toMatch(/[<>&\u2028\u2029]/);
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
    }), { numRuns: 300 });
  });

  it('keeps hostile strings intact inside the data', () => {
    const hostile = ['</script><script>alert(1)</script>', '<!--', '"\'`', '\u2028\u2029', 'x'.repeat(10_000)];
    const text = scriptJson({ hostile });
    expect(text.toLowerCase()).not.toContain('</script');
    expect(JSON.parse(text)).toEqual({ hostile });
  });

  it('turns Infinity and NaN into null', () => {
    expect(JSON.parse(scriptJson({ a: Infinity, b: NaN, c: 1 }))).toEqual({ a: null, b: null, c: 1 });
  });
});

describe('escapeHtml and inlineScript', () => {
  it('escapes every markup character', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('inlined scripts cannot close their element', () => {
    expect(inlineScript('var s = "</script>"; // <!--')).not.toMatch(/<\/script|<!--/i);
  });
});
