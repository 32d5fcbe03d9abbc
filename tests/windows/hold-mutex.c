/*
 * Stands in for a running Plugboard in the Windows installer's test (never shipped): holds the
 * named mutex given as its argument, says "held" on standard output, and lets go when its
 * standard input closes. A running Plugboard holds such a mutex (tauri-plugin-single-instance),
 * and the installer and the uninstaller must refuse to touch its files while it does.
 */
#include <windows.h>
#include <stdio.h>

int wmain(int argc, wchar_t **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: hold-mutex NAME\n");
        return 2;
    }
    HANDLE mutex = CreateMutexW(NULL, TRUE, argv[1]);
    if (mutex == NULL) {
        fprintf(stderr, "hold-mutex: CreateMutexW failed (error %lu)\n", GetLastError());
        return 1;
    }
    printf("held\n");
    fflush(stdout);
    char buffer[256];
    while (fread(buffer, 1, sizeof buffer, stdin) > 0) {
    }
    ReleaseMutex(mutex);
    CloseHandle(mutex);
    return 0;
}
