/**
 * A strict well-formedness check for the generated HTML5: tokenises tags and reports unclosed or
 * misnested elements, self-closing HTML elements, stray `<`, bad entity references, unquoted or
 * duplicate attributes, duplicate ids, and block elements inside <p> (which a browser would
 * silently reparent). Stricter than HTML5 requires, on purpose.
 */

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const RAW_TEXT = new Set(['script', 'style']);
const CLOSES_P = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'details',
  'div',
  'dl',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'ul',
]);
const ENTITY = /^&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#x[0-9a-fA-F]+);/;
const START = /<([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"<]*"|'[^'<]*'))?)*)\s*(\/?)>/y;
const END = /<\/([a-zA-Z][a-zA-Z0-9:-]*)\s*>/y;
const ATTR = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'))?/g;

function checkEntities(text: string, where: string, errors: string[]): void {
  for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) {
    if (!ENTITY.test(text.slice(i, i + 40))) errors.push(`bad entity reference ${JSON.stringify(text.slice(i, i + 12))} ${where}`);
  }
}

/** Problems found in `html`; empty when it is well-formed. */
export function wellFormednessErrors(html: string): string[] {
  const errors: string[] = [];
  const stack: string[] = [];
  const ids = new Set<string>();
  let pos = 0;
  const doctype = /^<!DOCTYPE html>/i.exec(html);
  if (!doctype) errors.push('missing <!DOCTYPE html>');
  else pos = doctype[0].length;
  while (pos < html.length) {
    const lt = html.indexOf('<', pos);
    const text = html.slice(pos, lt < 0 ? html.length : lt);
    checkEntities(text, `in text at ${pos}`, errors);
    if (lt < 0) break;
    pos = lt;
    if (html.startsWith('<!--', pos)) {
      const end = html.indexOf('-->', pos);
      if (end < 0) {
        errors.push(`unterminated comment at ${pos}`);
        break;
      }
      pos = end + 3;
      continue;
    }
    END.lastIndex = pos;
    const end = END.exec(html);
    if (end) {
      const name = end[1].toLowerCase();
      if (VOID.has(name)) errors.push(`end tag of void element </${name}> at ${pos}`);
      else if (stack[stack.length - 1] !== name) errors.push(`</${name}> at ${pos} closes <${stack[stack.length - 1] ?? '(nothing)'}>`);
      else stack.pop();
      pos = END.lastIndex;
      continue;
    }
    START.lastIndex = pos;
    const start = START.exec(html);
    if (!start) {
      errors.push(`stray or malformed tag at ${pos}: ${JSON.stringify(html.slice(pos, pos + 40))}`);
      pos++;
      continue;
    }
    const name = start[1].toLowerCase(),
      selfClosing = start[3] === '/';
    const seen = new Set<string>();
    for (const a of start[2].matchAll(ATTR)) {
      const attr = a[1].toLowerCase();
      if (seen.has(attr)) errors.push(`duplicate attribute ${attr} on <${name}> at ${pos}`);
      seen.add(attr);
      const value = a[2] ?? a[3];
      if (value !== undefined) checkEntities(value, `in attribute ${attr} of <${name}> at ${pos}`, errors);
      if (attr === 'id' && value !== undefined) {
        if (ids.has(value)) errors.push(`duplicate id "${value}"`);
        ids.add(value);
      }
    }
    const inSvg = stack.includes('svg') || name === 'svg';
    if (stack.includes('p') && !inSvg && CLOSES_P.has(name)) errors.push(`<${name}> inside <p> at ${pos}`);
    pos = START.lastIndex;
    if (selfClosing && !VOID.has(name) && !inSvg) errors.push(`self-closing non-void HTML element <${name}/> at ${lt}`);
    if (VOID.has(name) || selfClosing) continue;
    if (RAW_TEXT.has(name)) {
      const close = html.toLowerCase().indexOf(`</${name}`, pos);
      if (close < 0) {
        errors.push(`unterminated <${name}>`);
        break;
      }
      pos = close;
    }
    stack.push(name);
  }
  if (stack.length > 0) errors.push(`unclosed elements at the end: ${stack.join(' > ')}`);
  return errors;
}
