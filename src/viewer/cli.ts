/**
 * The `effect-oneagent` command: `effect-oneagent view <file.jsonl> [-o out.html]` turns the OTLP/JSON lines
 * file of the file sink into one self-contained HTML page.
 *
 * @since 0.1.0
 */
import { createReadStream, createWriteStream, readFileSync } from "node:fs"
import { once } from "node:events"
import * as Path from "node:path"
import type { Readable } from "node:stream"
import { StringDecoder } from "node:string_decoder"
import { renderPage } from "./html.ts"
import { addLine, buildTraces, emptySpanSet, type SpanSet } from "./model.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface Io {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly stdin?: Readable | undefined
}

const defaultIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: process.stdin
}

const USAGE = `Usage: effect-oneagent view <file.jsonl> [-o <out.html>] [--title <title>]

Turns an OTLP/JSON lines file (as written by the default file export, e.g. .traces/traces.jsonl)
into one self-contained HTML page with a waterfall per trace. Opens offline: no network, no CDN.

Options:
  -o, --output <file>   where to write the page (default: the input's name with .html, next to it;
                        required when the input is "-" for standard input)
  -t, --title <title>   the page title
  -h, --help            show this help
  -v, --version         show the version
`

const version = (): string => {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string }
    return pkg.version ?? "unknown"
  } catch {
    return "unknown"
  }
}

/**
 * Reads a lines file (or stream) into a span set, one line at a time. Lines end at `\n` (a `\r` before it is
 * dropped) and nowhere else: U+2028 and U+2029, which `node:readline` also ends lines at, may stand unescaped
 * inside a JSON string.
 *
 * @since 0.1.0
 * @category reading
 */
export const readSpans = async (input: Readable): Promise<SpanSet> => {
  const set = emptySpanSet()
  const decoder = new StringDecoder("utf8")
  let pending = ""
  let n = 0
  const take = (line: string) => addLine(set, line.endsWith("\r") ? line.slice(0, -1) : line, ++n)
  for await (const chunk of input) {
    // Only the new text is searched, so a long line costs its length once, whatever the chunks.
    const text = typeof chunk === "string" ? chunk : decoder.write(chunk as Buffer)
    let start = 0
    for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
      take(pending + text.slice(start, end))
      pending = ""
      start = end + 1
    }
    pending += text.slice(start)
  }
  pending += decoder.end()
  if (pending !== "") take(pending)
  return set
}

/**
 * The default output path: the input's name with `.html` in the same folder (`traces.jsonl` → `traces.html`).
 *
 * @since 0.1.0
 * @category paths
 */
export const defaultOutput = (input: string): string => {
  const parsed = Path.parse(input)
  return Path.join(parsed.dir, `${parsed.ext === ".html" ? parsed.base : parsed.name}.html`)
}

/**
 * Writes the page for `input` to `output` and returns what it found.
 *
 * @since 0.1.0
 * @category commands
 */
export const view = async (options: {
  readonly input: string
  readonly output: string
  readonly title?: string | undefined
  readonly stdin?: Readable | undefined
}): Promise<{ readonly set: SpanSet; readonly traces: number; readonly spans: number }> => {
  const source = options.input === "-" ? options.stdin ?? process.stdin : createReadStream(options.input)
  const opened = options.input === "-" ? Promise.resolve() : once(source, "open")
  // Fail fast (ENOENT, EISDIR) before reading.
  await Promise.race([opened, once(source, "error").then(([e]) => Promise.reject(e))])
  const set = await readSpans(source)
  const traces = buildTraces(set.spans)
  const out = createWriteStream(options.output)
  const failed = once(out, "error").then(([e]) => Promise.reject(e as Error))
  failed.catch(() => {})
  const chunks = renderPage(set, traces, {
    source: options.input === "-" ? "stdin" : Path.basename(options.input),
    title: options.title
  })
  for (const chunk of chunks) {
    if (!out.write(chunk)) await Promise.race([once(out, "drain"), failed])
  }
  out.end()
  await Promise.race([once(out, "finish"), failed])
  return { set, traces: traces.length, spans: set.spans.length }
}

interface Parsed {
  readonly command?: string
  readonly input?: string
  readonly output?: string
  readonly title?: string
  readonly help: boolean
  readonly version: boolean
  readonly error?: string
}

const parseArgs = (argv: ReadonlyArray<string>): Parsed => {
  const positional: Array<string> = []
  let output: string | undefined
  let title: string | undefined
  let help = false
  let showVersion = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const valued = (name: string): string | undefined => {
      const eq = arg.indexOf("=")
      if (eq > 0) return arg.slice(eq + 1)
      const next = argv[++i]
      if (next === undefined) throw new Error(`${name} needs a value`)
      return next
    }
    try {
      if (arg === "-h" || arg === "--help") help = true
      else if (arg === "-v" || arg === "--version") showVersion = true
      else if (arg === "-o" || arg === "--output" || arg.startsWith("--output=")) output = valued("--output")
      else if (arg === "-t" || arg === "--title" || arg.startsWith("--title=")) title = valued("--title")
      else if (arg === "--") positional.push(...argv.slice(i + 1)), i = argv.length
      else if (arg.startsWith("-") && arg !== "-") return { help, version: showVersion, error: `unknown option ${arg}` }
      else positional.push(arg)
    } catch (error) {
      return { help, version: showVersion, error: (error as Error).message }
    }
  }
  const [command, input, ...rest] = positional
  if (rest.length > 0) return { help, version: showVersion, error: `unexpected argument ${rest[0]}` }
  return {
    help,
    version: showVersion,
    ...(command === undefined ? {} : { command }),
    ...(input === undefined ? {} : { input }),
    ...(output === undefined ? {} : { output }),
    ...(title === undefined ? {} : { title })
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`

/**
 * Runs the command line and returns the exit code: 0 written, 1 failed (unreadable input, unwritable output),
 * 2 usage error.
 *
 * @since 0.1.0
 * @category commands
 */
export const main = async (argv: ReadonlyArray<string>, io: Io = defaultIo): Promise<number> => {
  const args = parseArgs(argv)
  if (args.version) {
    io.stdout(`effect-oneagent ${version()}\n`)
    return 0
  }
  if (args.help || (args.command === undefined && args.error === undefined)) {
    ;(args.help ? io.stdout : io.stderr)(USAGE)
    return args.help ? 0 : 2
  }
  if (args.error !== undefined) {
    io.stderr(`effect-oneagent: ${args.error}\n\n${USAGE}`)
    return 2
  }
  if (args.command !== "view") {
    io.stderr(`effect-oneagent: unknown command ${JSON.stringify(args.command)}\n\n${USAGE}`)
    return 2
  }
  if (args.input === undefined) {
    io.stderr(`effect-oneagent view: missing the input file\n\n${USAGE}`)
    return 2
  }
  if (args.input === "-" && args.output === undefined) {
    io.stderr(`effect-oneagent view: reading standard input needs -o <out.html>\n`)
    return 2
  }
  const output = Path.resolve(args.output ?? defaultOutput(args.input))
  if (args.input !== "-" && output === Path.resolve(args.input)) {
    io.stderr(`effect-oneagent view: the output would overwrite the input ${args.input}\n`)
    return 2
  }
  try {
    const result = await view({ input: args.input, output, title: args.title, stdin: io.stdin })
    const { set } = result
    if (set.malformedLines > 0) {
      io.stderr(`effect-oneagent view: warning: skipped ${plural(set.malformedLines, "malformed line")} of ${set.lines}\n`)
    }
    if (set.invalidSpans > 0) io.stderr(`effect-oneagent view: warning: skipped ${plural(set.invalidSpans, "invalid span")}\n`)
    for (const p of set.problems) io.stderr(`  ${p}\n`)
    if (result.spans === 0) io.stderr(`effect-oneagent view: warning: no spans in ${args.input}\n`)
    io.stderr(`effect-oneagent view: ${plural(result.traces, "trace")}, ${plural(result.spans, "span")}\n`)
    io.stdout(`${output}\n`)
    return 0
  } catch (error) {
    const e = error as NodeJS.ErrnoException
    io.stderr(`effect-oneagent view: ${e.code === "ENOENT" ? `no such file: ${e.path ?? args.input}` : e.message}\n`)
    return 1
  }
}
