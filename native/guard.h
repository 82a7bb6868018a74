// try/catch that also compiles where C++ exceptions are off: the WebAssembly build (wasm32-wasi has no exception
// runtime). There a failed allocation traps (native/wasm/new.cc) instead of throwing std::bad_alloc, and the JS
// adapter turns the trap into an engine that is off for good, so the catch blocks could never run: they compile
// to nothing. With exceptions (the native addon) they are the real try / catch (...) / throw.
#pragma once

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define ONEAGENT_TRY try
#define ONEAGENT_CATCH_ALL catch (...)
#define ONEAGENT_RETHROW throw
#else
#define ONEAGENT_TRY if (true)
#define ONEAGENT_CATCH_ALL else
#define ONEAGENT_RETHROW ((void)0)
#endif
