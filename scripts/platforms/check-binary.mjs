// Static checks of one prebuild, beyond its file format: the architecture, that napi_register_module_v1 is exported
// (and nothing else but node_api_module_get_api_version_v1), and that everything it imports is Node-API or the
// system C library: no libstdc++/libgcc_s/libc++ at run time, glibc symbol versions no newer than 2.17, nothing
// unversioned from glibc (a symbol newer glibcs would resolve and older ones would not).
//
//   node check-binary.mjs <target> <file> [--libc <musl libc.so>]
//
// target: linux-{x64,arm64}-{glibc,musl}, darwin-{x64,arm64}, win32-x64. ELF is read with readelf (binutils);
// Mach-O and PE with llvm-readobj / llvm-nm / llvm-objdump (Debian's llvm). With --libc, every C library symbol a
// musl build imports must be defined by that libc.so (Debian's musl, which the verification runs it on).
// Prints "check-binary: ok <target>: ..." or the problems, and exits 1 on any.
import { execFileSync } from "node:child_process"
import { existsSync, statSync } from "node:fs"

const [target, file, ...rest] = process.argv.slice(2)
const libcIndex = rest.indexOf("--libc")
const muslLibc = libcIndex >= 0 ? rest[libcIndex + 1] : undefined
if (!target || !file) {
  console.error("usage: node check-binary.mjs <target> <file> [--libc <musl libc.so>]")
  process.exit(2)
}

const run = (cmd, args) => execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20 })
const tool = (name) => {
  for (const candidate of [name, ...[19, 18, 17, 16, 15, 14, 13].map((v) => `${name}-${v}`)]) {
    try {
      execFileSync("sh", ["-c", `command -v ${candidate}`], { stdio: "ignore" })
      return candidate
    } catch {}
  }
  throw new Error(`${name} not found (apt-get install llvm)`)
}
const isNodeApi = (name) => /^_?(napi|node_api)_/.test(name)
const ENTRY = new Set(["napi_register_module_v1", "node_api_module_get_api_version_v1"])
const problems = []
const facts = []

const [os, arch, libc] = target.split("-")
if (!existsSync(file)) {
  console.log(`check-binary: FAILED ${target}: ${file} does not exist`)
  process.exit(1)
}
facts.push(`${statSync(file).size} bytes`)

if (os === "linux") {
  const header = run("readelf", ["-hW", file])
  const machine = /Machine:\s+(.*)/.exec(header)?.[1].trim()
  const wantMachine = arch === "x64" ? "Advanced Micro Devices X86-64" : "AArch64"
  if (!/ELF64/.test(header)) problems.push("not ELF64")
  if (!/Type:\s+DYN/.test(header)) problems.push("not a shared object")
  if (machine !== wantMachine) problems.push(`machine ${machine}, expected ${wantMachine}`)
  facts.push(`ELF64 ${machine}`)

  const dynamic = run("readelf", ["-dW", file])
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[(.*)\]/g)].map((m) => m[1])
  const allowedNeeded = libc === "musl"
    ? /^(libc\.so|libc\.musl-(x86_64|aarch64)\.so\.1)$/
    : /^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|ld-linux-(x86-64|aarch64)\.so\.[12])$/
  for (const lib of needed) if (!allowedNeeded.test(lib)) problems.push(`needs ${lib}`)
  if (/TEXTREL/.test(dynamic)) problems.push("has text relocations")
  facts.push(`NEEDED ${needed.join(" ")}`)

  const versions = [...run("readelf", ["-VW", file]).matchAll(/Name: (GLIBC_[\d.]+)/g)].map((m) => m[1])
  const newest = versions.map((v) => v.slice(6).split(".").map(Number))
    .sort((a, b) => a[0] - b[0] || (a[1] ?? 0) - (b[1] ?? 0) || (a[2] ?? 0) - (b[2] ?? 0)).pop()
  if (libc === "musl" && versions.length > 0) problems.push(`musl build needs glibc versions ${versions.join(" ")}`)
  if (libc === "glibc" && newest && (newest[0] > 2 || newest[1] > 17)) {
    problems.push(`needs GLIBC_${newest.join(".")} (> 2.17)`)
  }
  if (newest) facts.push(`newest GLIBC_${newest.join(".")}`)

  const symbols = run("readelf", ["--dyn-syms", "-W", file]).split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && /^\d+:$/.test(f[0]))
    .map((f) => ({ bind: f[4], ndx: f[6], name: f[7] }))
  const exported = symbols.filter((s) => s.ndx !== "UND" && (s.bind === "GLOBAL" || s.bind === "WEAK"))
    .map((s) => s.name.split("@")[0])
  const imported = symbols.filter((s) => s.ndx === "UND" && s.name !== "")
  if (!exported.includes("napi_register_module_v1")) problems.push("napi_register_module_v1 is not exported")
  const extra = exported.filter((name) => !ENTRY.has(name) && !["_init", "_fini"].includes(name))
  if (extra.length > 0) problems.push(`exports more than the entry points: ${extra.slice(0, 8).join(" ")}`)
  const cxx = imported.filter((s) => /^_Z|^__cxa_(?!atexit|finalize|thread_atexit_impl)|^_Unwind_|^__gxx/.test(s.name))
  if (cxx.length > 0) problems.push(`imports C++ runtime symbols: ${cxx.slice(0, 8).map((s) => s.name).join(" ")}`)
  const libcImports = imported.filter((s) => !isNodeApi(s.name))
  if (libc === "glibc") {
    const unversioned = libcImports.filter((s) => !s.name.includes("@") && s.bind !== "WEAK")
    if (unversioned.length > 0) {
      problems.push(`unversioned libc imports (newer than the target glibc?): ${unversioned.map((s) => s.name).join(" ")}`)
    }
  }
  if (muslLibc) {
    const defined = new Set(
      run("readelf", ["--dyn-syms", "-W", muslLibc]).split("\n").map((l) => l.trim().split(/\s+/))
        .filter((f) => f.length >= 8 && f[6] !== "UND").map((f) => f[7].split("@")[0])
    )
    const missing = libcImports.filter((s) => s.bind !== "WEAK" && !defined.has(s.name))
    if (missing.length > 0) problems.push(`not in ${muslLibc}: ${missing.map((s) => s.name).join(" ")}`)
    facts.push(`all C library imports found in ${muslLibc}`)
  }
  if (run("readelf", ["-SW", file]).includes(".symtab")) problems.push("not stripped")
  facts.push(`exports ${exported.filter((n) => ENTRY.has(n)).join(" ")}`)
  facts.push(`imports ${imported.filter((s) => isNodeApi(s.name)).length} Node-API + ${libcImports.length} libc`)
} else if (os === "darwin") {
  // Node-API must be looked up in the host process at load time (-undefined dynamic_lookup: "flat-namespace"
  // binds); everything else must bind to libSystem (libc, and on macOS also the unwinder), nothing to libc++.dylib.
  const header = run(tool("llvm-readobj"), ["--file-headers", file])
  const wantCpu = arch === "x64" ? "X86-64" : "Arm64"
  if (!/Format: Mach-O (64-bit x86-64|arm64)/.test(header)) problems.push("not 64-bit Mach-O")
  const cpu = /CpuType: (\S+)/.exec(header)?.[1]
  if (cpu?.toLowerCase() !== wantCpu.toLowerCase()) problems.push(`CPU type ${cpu}, expected ${wantCpu}`)
  if (!/FileType: (DynamicLibrary|Bundle)/.test(header)) problems.push("not a dylib/bundle")
  facts.push(`${/Format: (.*)/.exec(header)?.[1]} ${/FileType: (\S+)/.exec(header)?.[1]}`)
  const objdump = tool("llvm-objdump")
  const id = run(objdump, ["--macho", "--dylib-id", file]).split("\n")[1]?.trim()
  const dylibs = run(objdump, ["--macho", "--dylibs-used", file]).split("\n").slice(1)
    .map((l) => l.trim().split(" ")[0]).filter((l) => l && l !== id)
  for (const lib of dylibs) if (lib !== "/usr/lib/libSystem.B.dylib") problems.push(`links ${lib}`)
  facts.push(`dylibs ${dylibs.join(" ")}`)
  const loadCommands = run(objdump, ["--macho", "--private-headers", file])
  const minos = /minos\s+([\d.]+)/.exec(loadCommands)?.[1]
  if (minos) facts.push(`minos ${minos}`)
  // Apple silicon runs only signed code; an ad-hoc signature (what zig and ld64 add) is enough for a .node file.
  const signed = loadCommands.includes("LC_CODE_SIGNATURE")
  if (arch === "arm64" && !signed) problems.push("no code signature (arm64 macOS refuses unsigned code)")
  if (signed) facts.push("ad-hoc signed")
  const binds = run(objdump, ["--macho", "--bind", "--lazy-bind", "--weak-bind", file]).split("\n")
    .map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 5 && f[0].startsWith("__"))
    .map((f) => ({ dylib: f[f.length - 2], symbol: f[f.length - 1] }))
  const napiBinds = binds.filter((b) => isNodeApi(b.symbol.slice(1)))
  const otherBinds = binds.filter((b) => !isNodeApi(b.symbol.slice(1)))
  for (const b of napiBinds) if (b.dylib !== "flat-namespace") problems.push(`${b.symbol} bound to ${b.dylib}`)
  for (const b of otherBinds) if (b.dylib !== "libSystem") problems.push(`${b.symbol} bound to ${b.dylib}`)
  const nm = tool("llvm-nm")
  const exported = run(nm, ["--extern-only", "--defined-only", "--just-symbol-name", file]).split("\n").filter(Boolean)
  if (!exported.includes("_napi_register_module_v1")) problems.push("_napi_register_module_v1 is not exported")
  const extra = exported.filter((n) => !ENTRY.has(n.slice(1)))
  if (extra.length > 0) facts.push(`also exports ${extra.length} other symbols (static libc++'s)`)
  facts.push("exports _napi_register_module_v1")
  facts.push(`imports ${new Set(napiBinds.map((b) => b.symbol)).size} Node-API (flat-namespace) + ` +
    `${new Set(otherBinds.map((b) => b.symbol)).size} from libSystem`)
} else if (os === "win32") {
  const readobj = tool("llvm-readobj")
  const header = run(readobj, ["--file-headers", file])
  if (!/Format: COFF-x86-64/.test(header)) problems.push("not COFF-x86-64 (PE32+)")
  if (!/IMAGE_FILE_MACHINE_AMD64/.test(header)) problems.push("machine is not AMD64")
  if (!/IMAGE_FILE_DLL/.test(header)) problems.push("not a DLL")
  facts.push("PE32+ AMD64 DLL")
  const imports = run(readobj, ["--coff-imports", file])
  const byDll = new Map()
  let current
  for (const line of imports.split("\n")) {
    const name = /^\s*Name: (.*)/.exec(line)
    if (name) (current = name[1].trim(), byDll.set(current, []))
    const symbol = /^\s*Symbol: (\S+)/.exec(line)
    if (symbol && current) byDll.get(current).push(symbol[1])
  }
  for (const [dll, symbols] of byDll) {
    if (/^node\.exe$/i.test(dll)) {
      const other = symbols.filter((s) => !isNodeApi(s))
      if (other.length > 0) problems.push(`imports non-Node-API symbols from node.exe: ${other.join(" ")}`)
    } else if (!/^(kernel32|msvcrt|ucrtbase|api-ms-win-crt-[\w-]+|api-ms-win-core-[\w-]+|advapi32|bcrypt|ntdll)\.dll$/i.test(dll)) {
      problems.push(`imports from ${dll}: ${symbols.slice(0, 5).join(" ")}`)
    }
  }
  if (!byDll.has("node.exe")) problems.push("imports nothing from node.exe")
  facts.push(`imports ${[...byDll].map(([dll, s]) => `${dll}(${s.length})`).join(" ")}`)
  const exports = [...run(readobj, ["--coff-exports", file]).matchAll(/Name: (\S+)/g)].map((m) => m[1])
  if (!exports.includes("napi_register_module_v1")) problems.push("napi_register_module_v1 is not exported")
  // zig 0.11 builds its static libunwind with dllexport: reported, not fatal (PE imports bind by DLL name, so
  // nothing can interpose on them).
  const extra = exports.filter((n) => !ENTRY.has(n))
  const unwinder = extra.filter((n) => /^(_Unwind_|unw_|_GCC_specific_handler$)/.test(n))
  if (extra.length > unwinder.length) {
    problems.push(`exports more than the entry points: ${extra.filter((n) => !unwinder.includes(n)).slice(0, 8).join(" ")}`)
  }
  facts.push(`exports ${exports.filter((n) => ENTRY.has(n)).join(" ")}` +
    (unwinder.length > 0 ? ` (and ${unwinder.length} symbols of the static libunwind)` : ""))
} else {
  problems.push(`unknown target ${target}`)
}

if (problems.length > 0) {
  console.log(`check-binary: FAILED ${target} ${file}: ${problems.join("; ")} (${facts.join(", ")})`)
  process.exit(1)
}
console.log(`check-binary: ok ${target}: ${facts.join(", ")}`)
