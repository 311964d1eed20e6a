/**
 * A strict reader of the Prometheus text exposition (format 0.0.4) for tests: every line is a
 * `# HELP`/`# TYPE` comment or one sample `name{label="value",…} number`, label values decoded by
 * the format's three escapes (`\\`, `\"`, `\n`) and nothing else; anything else throws, naming
 * the line.
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export function parsePrometheusText(text: string): Sample[] {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a line feed");
  const samples: Sample[] = [];
  for (const [index, line] of text.slice(0, -1).split("\n").entries()) {
    const where = `line ${index + 1} \`${JSON.stringify(line)}\``;
    if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`${where} is not a sample`);
    const labels: Record<string, string> = {};
    const body = m[2] === undefined ? "" : m[2].slice(1, -1);
    let i = 0;
    while (i < body.length) {
      const name = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(body.slice(i));
      if (!name) throw new Error(`${where}: expected a label name at character ${i + 1}`);
      i += name[0].length;
      let value = "";
      for (;;) {
        if (i >= body.length) throw new Error(`${where}: label \`${name[1]}\` has no closing quote`);
        const ch = body[i]!;
        if (ch === '"') break;
        if (ch === "\\") {
          const next = body[i + 1];
          if (next === "\\") value += "\\";
          else if (next === '"') value += '"';
          else if (next === "n") value += "\n";
          else throw new Error(`${where}: invalid escape \`\\${next ?? ""}\``);
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      i++; // the closing quote
      if (name[1]! in labels) throw new Error(`${where}: label \`${name[1]}\` twice`);
      labels[name[1]!] = value;
      if (body[i] === ",") i++;
      else if (i < body.length) throw new Error(`${where}: expected \`,\` or \`}\` at character ${i + 1}`);
    }
    const value = m[3] === "NaN" ? Number.NaN : m[3] === "+Inf" ? Infinity : Number(m[3]);
    if (m[3] !== "NaN" && Number.isNaN(value)) throw new Error(`${where}: value \`${m[3]}\` is not a number`);
    samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}
