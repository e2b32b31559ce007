/**
 * `JSON.parse` that reads escaped object keys right.
 *
 * V8's JSON.parse (Deno 2.9's V8 15.0, Node 24 to 26; chromium issue
 * 521080746, nodejs/node#63785) can read an object key written with an
 * escape as another key: once any object had the key `\` after the keys
 * `{"h": …`, the text `{"h": 1, "\"": 2}` reads back as `{"h": 1, "\\": 2}`.
 * A payload with a backslash in a key is enough to set this off for every
 * later parse in the process, so an event stored right could be read back
 * wrong.
 *
 * Texts without an escape inside a key, nearly all, go to the native
 * parser. The others are read by the small parser below, which hands each
 * string token, never a key position, to the native parser to decode.
 */
export function parseJson(text: string): unknown {
  return hasEscapedKey(text) ? new Reader(text).document() : JSON.parse(text);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether a string token with an escape in it is followed by a colon: one
 * pass over the text, so a hostile text costs time in proportion to its size.
 */
export function hasEscapedKey(text: string): boolean {
  if (text.indexOf("\\") < 0) return false;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!inString) {
      if (c === QUOTE) {
        inString = true;
        escaped = false;
      }
    } else if (c === BACKSLASH) {
      escaped = true;
      i++;
    } else if (c === QUOTE) {
      inString = false;
      if (escaped && nextNonSpace(text, i + 1) === ":") return true;
    }
  }
  return false;
}

/** The index of the quote that closes the string token opened at `start`; -1 when none does. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i;
    if (c === BACKSLASH) i++;
  }
  return -1;
}

function nextNonSpace(text: string, from: number): string {
  let i = from;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return text[i] ?? "";
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** A strict reader of one JSON text (RFC 8259), for the texts the native parser gets wrong. */
class Reader {
  #at = 0;
  constructor(private readonly text: string) {}

  document(): unknown {
    let value: unknown;
    try {
      value = this.#value();
    } catch (err) {
      if (err instanceof RangeError) throw new SyntaxError("JSON is nested too deeply");
      throw err;
    }
    this.#space();
    if (this.#at < this.text.length) this.#fail("unexpected text after the value");
    return value;
  }

  #value(): unknown {
    this.#space();
    switch (this.text.charCodeAt(this.#at)) {
      case 0x7b: // {
        return this.#object();
      case 0x5b: // [
        return this.#array();
      case QUOTE:
        return this.#string();
      case 0x74: // t
        return this.#word("true", true);
      case 0x66: // f
        return this.#word("false", false);
      case 0x6e: // n
        return this.#word("null", null);
      default:
        return this.#number();
    }
  }

  #object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.#empty(0x7d)) return out;
    for (;;) {
      this.#space();
      if (this.text.charCodeAt(this.#at) !== QUOTE) this.#fail("expected a property name");
      const key = this.#string();
      this.#space();
      if (this.text.charCodeAt(this.#at) !== 0x3a) this.#fail("expected ':'");
      this.#at++;
      const value = this.#value();
      if (key === "__proto__") {
        // As JSON.parse does: an own property, not the object's prototype.
        Object.defineProperty(out, key, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      } else {
        out[key] = value;
      }
      if (this.#closes(0x7d, "expected ',' or '}'")) return out;
    }
  }

  #array(): unknown[] {
    const out: unknown[] = [];
    if (this.#empty(0x5d)) return out;
    for (;;) {
      out.push(this.#value());
      if (this.#closes(0x5d, "expected ',' or ']'")) return out;
    }
  }

  /** Past an opening bracket: true (and past the closing one) when nothing is inside. */
  #empty(close: number): boolean {
    this.#at++;
    this.#space();
    if (this.text.charCodeAt(this.#at) !== close) return false;
    this.#at++;
    return true;
  }

  /** After a member: true at the closing bracket, false at a comma. */
  #closes(close: number, expected: string): boolean {
    this.#space();
    const c = this.text.charCodeAt(this.#at++);
    if (c === close) return true;
    if (c !== 0x2c) this.#fail(expected, this.#at - 1);
    return false;
  }

  #string(): string {
    const start = this.#at;
    const end = stringEnd(this.text, start);
    if (end < 0) this.#fail("unterminated string");
    this.#at = end + 1;
    // A lone string value: the native parser decodes it right, and refuses bad escapes.
    return JSON.parse(this.text.slice(start, end + 1)) as string;
  }

  #word<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.#at)) this.#fail("unexpected token");
    this.#at += word.length;
    return value;
  }

  #number(): number {
    NUMBER.lastIndex = this.#at;
    const match = NUMBER.exec(this.text);
    if (!match) this.#fail(this.#at < this.text.length ? "unexpected token" : "unexpected end");
    this.#at = NUMBER.lastIndex;
    return Number(match[0]);
  }

  #space(): void {
    while (this.#at < this.text.length && isSpace(this.text.charCodeAt(this.#at))) this.#at++;
  }

  #fail(message: string, at = this.#at): never {
    throw new SyntaxError(`JSON at position ${at}: ${message}`);
  }
}
