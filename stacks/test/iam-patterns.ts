/**
 * IAM resource patterns: `*` matches any run of characters, `/` included, so a pattern is only as
 * tight as its fixed parts.
 */

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether `pattern` grants `text`. */
export function patternMatches(pattern: string, text: string): boolean {
  return new RegExp(`^${pattern.split("*").map(literal).join(".*")}$`, "s").test(text);
}

/**
 * Whether some string matches both patterns: walks both at once, a `*` on either side either ends
 * or takes one more character of the other side (memoized, so linear in the product of lengths).
 */
export function patternsOverlap(a: string, b: string): boolean {
  const seen = new Set<number>();
  const width = b.length + 1;
  const stack: Array<[number, number]> = [[0, 0]];
  for (let pair = stack.pop(); pair !== undefined; pair = stack.pop()) {
    const [i, j] = pair;
    if (seen.has(i * width + j)) continue;
    seen.add(i * width + j);
    if (i === a.length && j === b.length) return true;
    const x = a[i];
    const y = b[j];
    if (x === "*") {
      stack.push([i + 1, j]);
      if (j < b.length) stack.push([i, j + 1]);
    }
    if (y === "*") {
      stack.push([i, j + 1]);
      if (i < a.length) stack.push([i + 1, j]);
    }
    if (x !== undefined && y !== undefined && x !== "*" && y !== "*" && x === y) stack.push([i + 1, j + 1]);
  }
  return false;
}
