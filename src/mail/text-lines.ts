// The lines of a plain-text mail body as reply extraction (reply-text.ts) and signature detection
// (signature.ts) both read them: word bounds in any script, blank and quoted lines, and the tidy
// text both return. One definition, so the two never disagree on what a quoted line is.

// JavaScript's \b only knows ASCII letters; these bound words written in any script.
export const B = '(?<![\\p{L}\\p{N}])';
export const E = '(?![\\p{L}\\p{N}])';

// Supercite-style quotes carry the author's initials: "JD> …".
export const QUOTED_RE = /^\s*(?:>|[A-Z]{1,3}>(?:\s|$|>))/;

export const blank = (l: string | undefined) => l === undefined || l.trim() === '';
export const tidy = (lines: string[]) => lines.map((l) => l.trimEnd()).join('\n').trim();
