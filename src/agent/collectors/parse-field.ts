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

/**
 * A field filter's verdicts, remembered by field name: kernel files print the same names every
 * collection, so a collector keeps one of these and runs its regular expression over each name
 * once. Bounded, in case names ever change on every read.
 */
export class FieldVerdicts {
  private readonly verdicts = new Map<string, boolean>();

  constructor(private readonly keep: RegExp, private readonly max = 4096) {}

  /** keep.test(subject), looked up by `name` (the raw field name subject is made from). */
  test(name: string, subject: string = name): boolean {
    let verdict = this.verdicts.get(name);
    if (verdict === undefined) {
      verdict = this.keep.test(subject);
      if (this.verdicts.size >= this.max) this.verdicts.clear();
      this.verdicts.set(name, verdict);
    }
    return verdict;
  }
}
