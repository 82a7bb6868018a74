#!/usr/bin/env node
// effect-oneagent's install script: runs when npm runs install scripts (or on `npm rebuild effect-oneagent`), and
// never fails the install. With a prebuilt engine for this platform (and C library) there is nothing to do; otherwise,
// or when rebuilding, it builds the engine from source with node-gyp, and if that cannot work here (no compiler,
// no python3, a slim image) it says so in one line and leaves the WebAssembly engine in charge.
"use strict"
const { spawnSync } = require("node:child_process")
const { existsSync } = require("node:fs")
const { join } = require("node:path")

const root = join(__dirname, "..")

const libc = () => {
  if (process.platform !== "linux") return undefined
  try {
    const header = process.report.getReport().header
    return typeof header.glibcVersionRuntime === "string" ? "glibc" : "musl"
  } catch {
    return "glibc"
  }
}

const prebuilt = () => {
  const tag = libc()
  const name = tag === undefined ? "effect-oneagent.node" : `effect-oneagent.${tag}.node`
  return existsSync(join(root, "prebuilds", `${process.platform}-${process.arch}`, name))
}

const rebuilding = process.env.npm_command === "rebuild"
if (!rebuilding && prebuilt()) process.exit(0)

const nodeGyp = () => {
  // npm hands its own node-gyp to install scripts; a project may have one too.
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp
  try {
    return require.resolve("node-gyp/bin/node-gyp.js")
  } catch {
    return undefined
  }
}

const fallback = (why) => {
  console.warn(`effect-oneagent: the native engine was not built here (${why}); the WebAssembly engine traces instead`)
  process.exit(0)
}

const gyp = nodeGyp()
if (gyp === undefined) fallback("node-gyp is not available")
const result = spawnSync(process.execPath, [gyp, "rebuild"], { cwd: root, encoding: "utf8", stdio: "pipe" })
if (result.error !== undefined) fallback(result.error.message)
if (result.status !== 0) {
  const lines = `${result.stderr}\n${result.stdout}`.split("\n").map((line) => line.trim())
  const reason = lines.find((line) => /error|not found|cannot|could not/i.test(line)) ?? `node-gyp exited with ${result.status}`
  fallback(reason.replace(/^gyp ERR! /, ""))
}
