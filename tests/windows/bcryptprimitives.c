/* Test-only stand-in for Windows' bcryptprimitives.dll, for Wine 8 (Debian 12's), which lacks
 * it. Rust's std (1.78+) takes its randomness from ProcessPrng there, as every Windows since 8
 * provides; this forwards to BCryptGenRandom, which Wine has. Built and used by
 * scripts/test-windows.sh only, inside its own Wine prefix. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    return BCryptGenRandom(NULL, data, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) >= 0;
}
