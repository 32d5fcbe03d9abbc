/*
 * A stand-in for Windows' bcryptprimitives.dll, for running Plugboard's Windows build under
 * Wine in the tests only: it is never shipped and never packaged.
 *
 * Rust's standard library gets its random numbers (HashMap keys, among others) from
 * ProcessPrng in bcryptprimitives.dll, which every Windows since 10 has. Wine 8, the version
 * Debian 12 ships, has no such DLL, so a Rust program does not start there. This one exports
 * ProcessPrng and fills the buffer through RtlGenRandom (advapi32's SystemFunction036), which
 * Wine implements with the host's random source. A Wine that has its own bcryptprimitives
 * keeps using it: scripts/windows-wine-prefix.sh puts this file in the prefix's system32,
 * where Wine prefers its builtin DLLs.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
