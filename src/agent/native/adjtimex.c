/*
 * adjtimex(2), read only, for the timex collector (src/agent/collectors/adjtimex.ts).
 *
 * Why this file instead of an FFI package: Node has no binding for adjtimex(2), and koffi, the FFI
 * package that made the call before, cost the agent about 3 MiB of RSS for this one call in the
 * agent image (Node 22): its 1.1 MB library imports 161 symbols, each looked up by the dynamic linker
 * among node's ~90 000 exports (pages of node's symbol tables), plus its own heap. This addon imports
 * six (four napi_* functions, adjtimex, __errno_location) and measured +0.35 MiB against an agent
 * without timex (bench/results/2026-11-30-agent-image-rss-s12.md). koffi stays as the fallback where
 * this file could not be built (no C compiler).
 *
 * Node-API only (ABI-stable: one build loads on every Node version from 20 on, no node-gyp).
 * Built by scripts/build-native.mjs into dist/adjtimex.node.
 *
 * The module is one function returning an array of numbers, in the order of FIELDS below (the JS
 * side checks the length):
 *   [state, errno, offset, freq, maxerror, esterror, status, constant, tick, ppsfreq, jitter,
 *    shift, stabil, jitcnt, calcnt, errcnt, stbcnt, tai]
 * state is adjtimex's return value (the clock state, TIME_OK 0 .. TIME_ERROR 5) or -1 with errno
 * set (EPERM under a seccomp filter or systemd's ProtectClock=yes); the fields are then 0 (unread).
 */
#define NAPI_VERSION 8
#include <errno.h>
#include <node_api.h>
#include <sys/timex.h>

#define FIELDS 18

static napi_value read_adjtimex(napi_env env, napi_callback_info info) {
  (void)info;
  /* modes = 0: read only. Setting the clock would need CAP_SYS_TIME, which the agent never has. */
  struct timex t = {0};
  int state = adjtimex(&t);
  int error = state < 0 ? errno : 0;
  /* long and int fields alike fit a double exactly (the kernel keeps them far below 2^53). */
  const double values[FIELDS] = {
      state, error, t.offset, t.freq, t.maxerror, t.esterror, t.status, t.constant, t.tick,
      t.ppsfreq, t.jitter, t.shift, t.stabil, t.jitcnt, t.calcnt, t.errcnt, t.stbcnt, t.tai,
  };
  napi_value result;
  if (napi_create_array_with_length(env, FIELDS, &result) != napi_ok) return NULL;
  for (uint32_t i = 0; i < FIELDS; i++) {
    napi_value number;
    if (napi_create_double(env, values[i], &number) != napi_ok) return NULL;
    if (napi_set_element(env, result, i, number) != napi_ok) return NULL;
  }
  return result;
}

/* The module's exports are the function itself: require('adjtimex.node')() reads the clock. */
NAPI_MODULE_INIT() {
  (void)exports;
  napi_value fn;
  if (napi_create_function(env, "adjtimex", NAPI_AUTO_LENGTH, read_adjtimex, NULL, &fn) != napi_ok) return NULL;
  return fn;
}
