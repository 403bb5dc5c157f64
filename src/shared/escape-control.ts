// Text from files or requests printed to a terminal: control characters could move the cursor,
// recolour or rewrite earlier lines (ANSI escapes), or forge extra lines (newlines). Each is
// shown as a visible escape instead, so what a person reads is what the file holds.

// C0 controls and DEL, C1 controls (0x80-0x9f, which include the 8-bit CSI), and the Unicode
// bidirectional overrides and isolates that reorder what is displayed ("Trojan Source").
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `a\nb\x1b[31m` → `a\\nb\\x1b[31m`; backslashes are kept as they are. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return (
      NAMED[c] ??
      (code <= 0xff
        ? `\\x${code.toString(16).padStart(2, '0')}`
        : `\\u${code.toString(16).padStart(4, '0')}`)
    );
  });
}
