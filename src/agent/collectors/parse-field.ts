/**
 * Parses one numeric field of a kernel text file. Throws with the file and field named
 * instead of letting NaN reach a sample.
 */
export function numberField(text: string | undefined, what: string): number {
  if (text === undefined || !/^-?\d+(\.\d+)?$/.test(text)) {
    throw new Error(`${what}: expected a number, got ${text === undefined ? 'nothing' : JSON.stringify(text)}`);
  }
  return Number(text);
}

/** Non-empty lines of a file, with their 1-based line numbers for error messages. */
export function lines(text: string): Array<{ line: string; lineNo: number }> {
  const out: Array<{ line: string; lineNo: number }> = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() !== '') out.push({ line, lineNo: i + 1 });
  });
  return out;
}
