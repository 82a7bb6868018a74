// The trace viewer in a real headless browser: Debian's Chromium driven by playwright-core. A real file is
// written by the library (an order service with SQL, remote calls, messaging, an in-process link, a failed
// request and hostile attribute values), turned into HTML by the package's bin, opened over file://, checked
// on the DOM, and photographed (docs/viewer.png when missing, or with UPDATE_SCREENSHOT=1).
//
// Chromium comes from scripts/install-chromium.sh (apt-get, idempotent). Where it cannot be installed (no
// apt-get, not root) these tests are skipped with the reason printed; everywhere else they run.
import { execFile } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { promisify } from "node:util"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decodeJson, type Span, spansOf as spansOfBatches } from "./support/otlp.ts"
import { patienceMillis } from "./support/wait.ts"

const exec = promisify(execFile)
const root = fileURLToPath(new URL("..", import.meta.url))
const node24 = join(root, "node_modules", ".bin", "node")
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)))
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
// The docs' screenshot is (re)written when missing or with UPDATE_SCREENSHOT=1, so that test runs do not churn
// a tracked file; every run takes and checks its own.
const SCREENSHOT = join(root, "docs", "viewer.png")
const updateScreenshot = process.env.UPDATE_SCREENSHOT === "1" || !existsSync(SCREENSHOT)

// The browser globals used by functions that run in the page (the project's TypeScript lib has no DOM; these
// declarations are local to this module).
declare const document: {
  getElementById(id: string): { readonly value?: string } | null
  readonly activeElement: { readonly id: string } | null
}
declare const window: { readonly __xss?: number }
declare function getComputedStyle(element: unknown): { readonly color: string }

/** Installs Chromium when missing (about a minute with apt-get); the reason to skip when it cannot be had. */
const ensureChromium = async (): Promise<string | undefined> => {
  if (existsSync(CHROMIUM)) return undefined
  const script = join(root, "scripts", "install-chromium.sh")
  let output: string
  let code: number | string = 0
  try {
    const result = await exec("bash", [script], { timeout: 600_000, env: { ...process.env, CHROMIUM_PATH: CHROMIUM }, maxBuffer: 16 << 20 })
    output = result.stdout + result.stderr
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string }
    code = e.code ?? "?"
    output = `${e.stdout ?? ""}${e.stderr ?? ""}` || e.message
  }
  if (code === 0 && existsSync(CHROMIUM)) return undefined
  const tail = output.trim().split("\n").slice(-3).join(" | ")
  return `Chromium is not at ${CHROMIUM} and scripts/install-chromium.sh could not install it (exit ${code}): ${tail}`
}

const skipReason = await ensureChromium()
if (skipReason !== undefined) console.warn(`[browser.test] SKIPPED: ${skipReason}`)

const XSS = `<script>window.__xss = 1</script>"><img src=x onerror="window.__xss = 2">`
const XSS_NAME = `validate "><img src=x onerror="window.__xss=3"></script><!--`

// Runs from the repository (node -e resolves "effect" and ./src from the working directory).
const GENERATOR = `
import { Effect, Fiber } from "effect"
import { ChannelType, Database, Messaging, OneAgentSdk } from "./src/index.ts"

const sleep = (ms) => Effect.sleep(ms + " millis")
const program = Effect.gen(function* () {
  const db = yield* OneAgentSdk.createDatabaseInfo({
    name: "orders", vendor: Database.DatabaseVendor.POSTGRESQL,
    channel: { type: ChannelType.TCP_IP, endpoint: "db.internal:5432" }
  })
  const mq = yield* OneAgentSdk.createMessagingSystemInfo({
    vendor: "RabbitMQ", destination: "order-events", destinationType: Messaging.DestinationType.QUEUE,
    channel: { type: ChannelType.TCP_IP, endpoint: "mq.internal:5672" }
  })
  const query = (statement, ms, failure) =>
    (failure ? sleep(ms).pipe(Effect.andThen(Effect.fail(new Error(failure)))) : sleep(ms).pipe(Effect.as([{ id: 1 }])))
      .pipe(OneAgentSdk.traceSqlDatabaseRequest(db, statement, { rowsReturned: (rows) => rows.length }))
  const charge = (amount) =>
    Effect.gen(function* () {
      yield* sleep(1).pipe(Effect.withSpan("sign request"))
      yield* OneAgentSdk.currentStringTag
      yield* sleep(8)
    }).pipe(
      OneAgentSdk.traceOutgoingRemoteCall({
        method: "charge", service: "Payments", endpoint: "rpc://payments",
        channel: { type: ChannelType.TCP_IP, endpoint: "payments.internal:443" }
      }),
      Effect.tap(() => OneAgentSdk.addCustomRequestAttribute("amount", amount))
    )
  const publish = (id) => Effect.gen(function* () {
    yield* OneAgentSdk.outgoingMessageProperties
    yield* sleep(1)
  }).pipe(OneAgentSdk.traceOutgoingMessage(mq, { vendorMessageId: id }))
  const audit = (id) =>
    sleep(3).pipe(
      Effect.andThen(OneAgentSdk.addCustomRequestAttribute("audited.order", id)),
      OneAgentSdk.traceCustomService({ method: "record", service: "AuditLog" })
    )
  const placeOrder = (order) =>
    Effect.scoped(Effect.gen(function* () {
      yield* OneAgentSdk.addCustomRequestAttribute("order.id", order.id)
      if (order.comment) yield* OneAgentSdk.addCustomRequestAttribute("order.comment", order.comment)
      const link = yield* OneAgentSdk.createInProcessLink
      const background = yield* Effect.forkChild(audit(order.id).pipe(OneAgentSdk.traceInProcessLink(link)))
      yield* sleep(1).pipe(
        Effect.andThen(Effect.annotateCurrentSpan("order.items", order.items)),
        Effect.withSpan(order.validateName ?? "validate order")
      )
      yield* query("SELECT id, status FROM orders WHERE id = " + order.id, 3)
      yield* charge(order.amount)
      yield* publish("msg-" + order.id)
      yield* Fiber.join(background)
      yield* query("UPDATE orders SET status = 'paid' WHERE id = " + order.id, 2, order.failure)
    })).pipe(
      OneAgentSdk.traceIncomingRemoteCall({ method: "placeOrder", service: "Orders", endpoint: "rpc://orders", stringTag: order.tag })
    )
  const health = sleep(1).pipe(OneAgentSdk.traceCustomService({ method: "check", service: "Health" }))

  yield* health
  yield* placeOrder({ id: 1001, amount: 42.5, items: 3 })
  // Continues the trace of a remote caller (its traceparent).
  yield* placeOrder({ id: 1002, amount: 18, items: 1, tag: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" })
  yield* Effect.exit(placeOrder({ id: 1003, amount: 7, items: 2, failure: "deadlock detected" }))
  yield* placeOrder({ id: 1004, amount: 1, items: 1, comment: process.env.XSS, validateName: process.env.XSS_NAME })
  yield* sleep(2).pipe(Effect.withSpan("reindex search"))
  yield* health
})

await Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(OneAgentSdk.layer({ export: { file: process.env.OUT } }))))
`

// A span from another service (another encoder's output), right after the generated ones: a consumer whose
// producer is not in the file, linked to the remote-continued trace; plus a line that is not JSON.
const NOT_JSON = "{not json"
const extraLines = (after: bigint): Array<string> => [
  NOT_JSON,
  JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: "service.name", value: { stringValue: "order-worker" } }] },
      scopeSpans: [{
        scope: { name: "manual" },
        spans: [{
          traceId: "5b8efff798038103d269b633813fc60c",
          spanId: "eee19b7ec3c1b174",
          parentSpanId: "eee19b7ec3c1b173",
          name: "process order-events",
          kind: 5,
          startTimeUnixNano: String(after + 1_000_000n),
          endTimeUnixNano: String(after + 7_000_000n),
          attributes: [{ key: "messaging.batch.message_count", value: { intValue: "3" } }],
          links: [{
            traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
            spanId: "00f067aa0ba902b7",
            attributes: [{ key: "link.reason", value: { stringValue: "batched message" } }]
          }],
          status: {}
        }]
      }]
    }]
  })
]

const launch = (profile: string) =>
  chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ],
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    colorScheme: "light",
    timezoneId: "UTC"
  })

// The file's spans, read as OTLP/JSON: every line but the one that deliberately is not JSON.
const spansOf = (text: string): Array<Span> =>
  spansOfBatches(text.split("\n").filter((line) => line !== "" && line !== NOT_JSON).map(decodeJson))

// What the page shows is polled for until it is as expected: the bound only ends a wait for what must happen.
const poll = <T>(actual: () => Promise<T>) => expect.poll(actual, { timeout: patienceMillis })

describe.skipIf(skipReason !== undefined)("trace viewer in headless Chromium", () => {
  let dir: string
  let html: string
  let spans: Array<Span>
  let context: BrowserContext
  let page: Page
  const pageErrors: Array<string> = []
  const requests: Array<string> = []

  const traceOf = (name: string, predicate: (s: Span) => boolean = () => true) =>
    spans.find((s) => s.name === name && predicate(s))!.traceId
  const spansIn = (traceId: string) => spans.filter((s) => s.traceId === traceId)

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "effect-oneagent-browser-"))
    const jsonl = join(dir, "traces.jsonl")
    await exec(node24, ["--input-type=module", "-e", GENERATOR], {
      cwd: root,
      env: { ...env, OUT: jsonl, XSS, XSS_NAME, OTEL_SERVICE_NAME: "checkout" }
    })
    const generated = spansOf(readFileSync(jsonl, "utf8"))
    const last = generated.reduce((max, s) => s.end > max ? s.end : max, 0n)
    writeFileSync(jsonl, readFileSync(jsonl, "utf8") + extraLines(last).join("\n") + "\n")
    spans = spansOf(readFileSync(jsonl, "utf8"))
    // The bin on src/ (dist/ may be older); test/viewer.test.ts runs it compiled.
    const { stdout } = await exec(node24, [join(root, "bin", "effect-oneagent.js"), "view", jsonl], {
      cwd: dir,
      env: { ...env, EFFECT_ONEAGENT_VIEWER_SOURCE: "1" }
    })
    html = stdout.trim()
    expect(html).toBe(join(dir, "traces.html"))

    context = await launch(join(dir, "profile"))
    context.on("request", (request) => void requests.push(request.url()))
    page = context.pages()[0] ?? await context.newPage()
    page.on("pageerror", (error) => void pageErrors.push(error.message))
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text())
    })
    await page.goto(pathToFileURL(html).href)
    await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 })
  }, 120_000)

  afterAll(async () => {
    await context?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  const traceCount = () => new Set(spans.map((s) => s.traceId)).size
  const search = async (query: string) => {
    await page.fill("#search", query)
    await page.waitForFunction((q) => document.getElementById("search")?.value === q, query)
  }
  const listed = () => page.locator("#trace-list .trace-item")

  it("lists every trace with its root, service, span count and error badge, offline and without errors", async () => {
    await poll(() => listed().count()).toBe(traceCount())
    expect(await page.textContent("#trace-count")).toBe(`${traceCount()} traces`)
    const failed = traceOf("UPDATE orders", (s) => s.status.code === 2)
    const item = page.locator(`.trace-item[data-trace-id="${failed}"]`)
    expect(await item.locator(".ti-name").textContent()).toBe("Orders/placeOrder")
    expect(await item.locator(".badge.error").textContent()).toBe("2 errors")
    expect(await item.locator(".ti-service").textContent()).toBe("checkout")
    expect(await item.locator(".ti-spans").textContent()).toBe(`${spansIn(failed).length} spans`)
    // The other service's consumer, continued from a producer not in the file.
    const consumer = page.locator(`.trace-item[data-trace-id="5b8efff798038103d269b633813fc60c"]`)
    expect(await consumer.locator(".ti-service").textContent()).toBe("order-worker")
    expect(await consumer.locator(".badge.remote").count()).toBe(1)
    // Header stats, including the skipped line.
    expect(await page.textContent("#stats")).toContain("1 malformed line skipped")
    // Nothing but the page itself was loaded, and the hostile attribute values stayed text.
    expect(requests.filter((url) => !url.startsWith("file:"))).toEqual([])
    expect(pageErrors).toEqual([])
  })

  it("filters the trace list by span name, attribute, trace id, and shows no match", async () => {
    await search("deadlock")
    await poll(() => listed().count()).toBe(1)
    expect(await listed().first().getAttribute("data-trace-id")).toBe(traceOf("UPDATE orders", (s) => s.status.code === 2))
    await search("UPDATE orders")
    await poll(() => listed().count()).toBe(4)
    expect(await page.textContent("#trace-count")).toBe(`4 of ${traceCount()} traces`)
    await search("order.id=1002")
    await poll(() => listed().count()).toBe(1)
    expect(await listed().first().getAttribute("data-trace-id")).toBe("4bf92f3577b34da6a3ce929d0e0e4736")
    // A trace id (any case) finds its trace and the trace linking to it.
    await search("4BF92F35")
    await poll(() => listed().count()).toBe(2)
    await search("order-worker message_count")
    await poll(() => listed().count()).toBe(1)
    await search("no-such-span-anywhere")
    await poll(() => listed().count()).toBe(0)
    expect(await page.textContent("#trace-list")).toContain("No trace matches")
    // Escape clears the search.
    await page.press("#search", "Escape")
    await poll(() => listed().count()).toBe(traceCount())
  })

  it("shows the selected trace as a waterfall: one row per span, nested, to scale, failures in red", async () => {
    const failed = traceOf("UPDATE orders", (s) => s.status.code === 2)
    await page.click(`.trace-item[data-trace-id="${failed}"]`)
    expect(await page.getAttribute(`.trace-item[data-trace-id="${failed}"]`, "aria-selected")).toBe("true")
    const rows = page.locator("#waterfall .row")
    await poll(() => rows.count()).toBe(spansIn(failed).length)
    expect(await page.textContent(".trace-head h1")).toBe("Orders/placeOrder")

    const row = (name: string) => page.locator("#waterfall .row", { has: page.locator(".span-name", { hasText: name }) })
    // Nesting: placeOrder > InProcessLink > AuditLog/record, indented by depth.
    expect(await row("Orders/placeOrder").getAttribute("data-depth")).toBe("0")
    expect(await row("InProcessLink").getAttribute("data-depth")).toBe("1")
    expect(await row("AuditLog/record").getAttribute("data-depth")).toBe("2")
    expect(await row("sign request").getAttribute("data-depth")).toBe("2")
    const x = async (name: string) => (await row(name).locator(".span-name").boundingBox())!.x
    expect(await x("InProcessLink")).toBeGreaterThan(await x("Orders/placeOrder"))
    expect(await x("AuditLog/record")).toBeGreaterThan(await x("InProcessLink"))
    // Waterfall order: a child follows its parent.
    const names = await rows.locator(".span-name").allTextContents()
    expect(names.indexOf("AuditLog/record")).toBe(names.indexOf("InProcessLink") + 1)
    expect(names.indexOf("sign request")).toBe(names.indexOf("Payments/charge") + 1)

    // Failed spans (the query and the request it failed) are marked and red.
    const errorRows = page.locator("#waterfall .row[data-status=error]")
    expect(await errorRows.locator(".span-name").allTextContents()).toEqual(["Orders/placeOrder", "UPDATE orders"])
    expect(await errorRows.locator(".err-icon").count()).toBe(2)
    const color = await row("UPDATE orders").locator(".span-name").evaluate((e) => getComputedStyle(e).color)
    const [r, g, b] = color.match(/\d+/g)!.map(Number)
    expect(r).toBeGreaterThan(180)
    expect(g! + b!).toBeLessThan(200)

    // Durations to scale: the root's bar spans the timeline, each bar's width is its share of the trace.
    const bar = async (name: string) => (await row(name).locator(".bar").boundingBox())!
    const rootBar = await bar("Orders/placeOrder")
    const cell = (await row("Orders/placeOrder").locator(".bar-cell").boundingBox())!
    expect(rootBar.width).toBeGreaterThan(cell.width * 0.97)
    const file = spansIn(failed)
    const nanos = (name: string) => {
      const s = file.find((f) => f.name === name)!
      return { start: s.start, end: s.end }
    }
    const whole = nanos("Orders/placeOrder")
    const total = Number(whole.end - whole.start)
    for (const name of ["Payments/charge", "UPDATE orders", "validate order"]) {
      const n = nanos(name)
      const b = await bar(name)
      expect(Math.abs(b.width / cell.width - Number(n.end - n.start) / total), name).toBeLessThan(0.02)
      expect(Math.abs((b.x - cell.x) / cell.width - Number(n.start - whole.start) / total), name).toBeLessThan(0.02)
    }
  })

  it("shows a span's attributes, exception event with its stack, and ids when its row is clicked", async () => {
    const row = page.locator("#waterfall .row", { has: page.locator(".span-name", { hasText: "UPDATE orders" }) })
    await row.click()
    expect(await row.getAttribute("aria-selected")).toBe("true")
    const details = page.locator("#details-body")
    expect(await details.locator(".d-title").textContent()).toBe("UPDATE orders")
    expect(await details.locator(".status").textContent()).toBe("ERROR")
    expect(await details.locator(".status-msg").textContent()).toBe("Error: deadlock detected")
    const attributes = await details.locator("section:has(h3:has-text('Attributes')) table.kv tr").evaluateAll((trs) =>
      trs.map((tr) => [tr.querySelector("th")!.textContent, tr.querySelector("td")!.firstChild!.textContent])
    )
    expect(attributes).toEqual(expect.arrayContaining([
      ["db.system.name", "postgresql"],
      ["db.query.text", "UPDATE orders SET status = 'paid' WHERE id = 1003"],
      ["server.port", "5432"]
    ]))
    const exception = details.locator(".event.exception")
    expect(await exception.count()).toBe(1)
    expect(await exception.locator(".ex-msg").textContent()).toBe("Error: deadlock detected")
    expect(await exception.locator("pre.stack").textContent()).toMatch(/^Error: deadlock detected\n\s+at /)
    const ids = await details.locator("section:has(h3:has-text('Span')) table.kv").textContent()
    const span = spans.find((s) => s.name === "UPDATE orders" && s.status.code === 2)!
    expect(ids).toContain(span.spanId)
    expect(ids).toContain(span.traceId)
    // The parent id selects the parent.
    await details.locator(".linkish").first().click()
    expect(await page.locator("#waterfall .row[aria-selected=true] .span-name").textContent()).toBe("Orders/placeOrder")
    expect(await page.locator("#details-body .d-title").textContent()).toBe("Orders/placeOrder")
  })

  it("is keyboard-accessible: arrows move through rows, collapse and expand subtrees, / focuses search", async () => {
    const selected = () => page.locator("#waterfall .row[aria-selected=true] .span-name").textContent()
    const rows = page.locator("#waterfall .row")
    const all = await rows.count()
    const second = await rows.nth(1).locator(".span-name").textContent()
    await page.locator("#waterfall .row").first().focus()
    await page.keyboard.press("ArrowDown")
    expect(await selected()).toBe(second)
    await page.keyboard.press("ArrowUp")
    expect(await selected()).toBe("Orders/placeOrder")
    await page.keyboard.press("ArrowLeft")
    await poll(() => rows.count()).toBe(1)
    expect(await rows.first().getAttribute("aria-expanded")).toBe("false")
    await page.keyboard.press("ArrowRight")
    await poll(() => rows.count()).toBe(all)
    await page.keyboard.press("/")
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("search")
  })

  it("renders hostile attribute values and span names as text, and follows links across traces", async () => {
    const hostile = traceOf(XSS_NAME)
    await page.click(`.trace-item[data-trace-id="${hostile}"]`)
    const row = page.locator("#waterfall .row", { has: page.locator(".span-name", { hasText: "onerror" }) })
    expect(await row.locator(".span-name").textContent()).toBe(XSS_NAME)
    await page.locator("#waterfall .row").first().click()
    const comment = page.locator("#details-body table.kv tr", { has: page.locator("th", { hasText: "order.comment" }) })
    expect(await comment.locator("td").textContent()).toBe(XSS)
    expect(await page.evaluate(() => window.__xss)).toBeUndefined()
    expect(await page.locator("img").count()).toBe(0)
    expect(await page.locator("script").count()).toBe(2)

    // The consumer's link opens the linked trace (the one continued from a remote caller).
    await page.click(`.trace-item[data-trace-id="5b8efff798038103d269b633813fc60c"]`)
    expect(await page.locator("#waterfall .row .orphan").count()).toBe(1)
    expect(await page.textContent(".trace-head")).toContain("continued from remote parent")
    const link = page.locator("#details-body section:has(h3:has-text('Links')) .linkish")
    expect(await link.textContent()).toContain("4bf92f3577b34da6a3ce929d0e0e4736")
    await link.click()
    expect(await page.getAttribute(".trace-item[aria-selected=true]", "data-trace-id")).toBe("4bf92f3577b34da6a3ce929d0e0e4736")
    expect(pageErrors).toEqual([])
  })

  it("takes a screenshot for the docs", async () => {
    const failed = traceOf("UPDATE orders", (s) => s.status.code === 2)
    await page.click(`.trace-item[data-trace-id="${failed}"]`)
    await page.locator("#waterfall .row", { has: page.locator(".span-name", { hasText: "UPDATE orders" }) }).click()
    await page.mouse.move(0, 899)
    const shot = join(dir, "viewer.png")
    await page.screenshot({ path: shot })
    expect(statSync(shot).size).toBeGreaterThan(20_000)
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe("PNG")
    if (updateScreenshot) {
      mkdirSync(join(root, "docs"), { recursive: true })
      copyFileSync(shot, SCREENSHOT)
      console.log(`[browser.test] screenshot written to ${SCREENSHOT}`)
    }
  })
})

// A hostile client against a node:http server traced with the README's web request pattern (every query parameter
// added with addParameter), exporting to the default file: one query parameter holding U+2028 or U+2029 must not
// cost the viewer the batch its request was exported in (node:readline ends lines at both).
const SEARCH_SERVER = `
import { Effect } from "effect"
import * as Http from "node:http"
import { OneAgentSdk } from "./src/index.ts"

const program = Effect.gen(function* () {
  const sdk = yield* OneAgentSdk
  const context = yield* Effect.context()
  const info = yield* sdk.createWebApplicationInfo({ webServerName: "shop", applicationId: "Shop", contextRoot: "/" })
  const handle = (req) => Effect.scoped(Effect.gen(function* () {
    const url = new URL(req.url ?? "/", "http://" + (req.headers.host ?? "localhost"))
    const tracer = yield* sdk.traceIncomingWebRequest(info, {
      url: url.href, method: req.method ?? "GET", headers: req.headers, remoteAddress: req.socket.remoteAddress
    })
    for (const [name, value] of url.searchParams) yield* tracer.addParameter(name, value)
    yield* tracer.setStatusCode(200)
  }))
  const server = Http.createServer((req, res) => {
    Effect.runPromise(handle(req).pipe(Effect.provide(context))).then(() => res.writeHead(200).end("ok"))
  })
  yield* Effect.promise(() => new Promise((resolve) => server.listen(0, "127.0.0.1", resolve)))
  const base = "http://127.0.0.1:" + server.address().port
  for (const q of JSON.parse(process.env.QUERIES)) {
    yield* Effect.promise(() => fetch(base + "/search?q=" + q).then((response) => response.text()))
  }
  yield* Effect.promise(() => new Promise((resolve) => server.close(resolve)))
})

// One export, when the layer is released: every request in one batch, one line of the file.
await Effect.runPromise(program.pipe(
  Effect.scoped,
  Effect.provide(OneAgentSdk.layer({ exportInterval: 3_600_000, export: { file: process.env.OUT } }))
))
`

describe.skipIf(skipReason !== undefined)("trace viewer in headless Chromium, on a file a hostile client wrote to", () => {
  const queries = ["shoes", "%E2%80%A8", "socks", "a%E2%80%A9b", "hats"]
  let dir: string
  let context: BrowserContext
  let page: Page

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "effect-oneagent-hostile-"))
    const jsonl = join(dir, "search.jsonl")
    await exec(node24, ["--input-type=module", "-e", SEARCH_SERVER], {
      cwd: root,
      env: { ...env, OUT: jsonl, QUERIES: JSON.stringify(queries), OTEL_SERVICE_NAME: "shop" }
    })
    const { stdout } = await exec(node24, [join(root, "bin", "effect-oneagent.js"), "view", jsonl], {
      cwd: dir,
      env: { ...env, EFFECT_ONEAGENT_VIEWER_SOURCE: "1" }
    })
    context = await launch(join(dir, "profile"))
    page = context.pages()[0] ?? await context.newPage()
    await page.goto(pathToFileURL(stdout.trim()).href)
    await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 })
  }, 120_000)

  afterAll(async () => {
    await context?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it("shows every request of the batch, the line separators among the parameters", async () => {
    expect(await page.textContent("#trace-count")).toBe(`${queries.length} traces`)
    expect(await page.textContent("#stats")).not.toContain("malformed")
    // The whole batch is one line of the file, with U+2028/U+2029 escaped, as any line reader expects.
    const file = readFileSync(join(dir, "search.jsonl"), "utf8")
    expect(file.trim().split("\n")).toHaveLength(1)
    expect(file).not.toMatch(/[\u2028\u2029]/)
    const values: Array<string> = []
    const items = page.locator("#trace-list .trace-item")
    for (let i = 0; i < queries.length; i++) {
      await items.nth(i).click()
      await page.locator("#waterfall .row").first().click()
      const q = page.locator("#details-body table.kv tr", { has: page.locator("th", { hasText: "oneagent.web.parameter.q" }) })
      values.push((await q.locator("td").first().textContent())!)
    }
    expect(values.sort()).toEqual(["\u2028", "a\u2029b", "hats", "shoes", "socks"].sort())
  })
})
