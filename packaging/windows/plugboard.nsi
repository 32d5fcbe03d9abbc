; Plugboard's Windows installer (NSIS 3). scripts/package-windows.sh builds it with makensis and
; passes these on the command line:
;   VERSION      the app's version, x.y.z (from the workspace's Cargo.toml)
;   STAGE        a folder holding what gets installed: plugboard.exe (the desktop app),
;                plugboard-engine.exe (the headless engine) and WebView2Loader.dll (which the app,
;                built for the GNU toolchain, loads to find the WebView2 runtime)
;   ICON         the .ico of the installer and the uninstaller
;   OUTFILE      where to write the installer
;   COMPRESSOR   optional: lzma (default, smallest), zlib (fast, for test builds) or none
;
; It installs for the current user (no administrator prompt), like Tauri's own installers:
; %LOCALAPPDATA%\Programs\Plugboard, a Start-menu entry, an entry in Settings > Apps that runs
; the uninstaller, and nothing else. The uninstaller removes all of that and the launch-at-login
; entry the app may have written; it keeps the user's device settings in %APPDATA%\plugboard.

; A 64-bit installer: the app is 64-bit only, and 64-bit Wine (the tests') runs no 32-bit program.
Target amd64-unicode
ManifestDPIAware true
!ifndef COMPRESSOR
  !define COMPRESSOR lzma
!endif
!if "${COMPRESSOR}" == "none"
  SetCompress off
!else
  SetCompressor /SOLID ${COMPRESSOR}
!endif

!include MUI2.nsh
!include LogicLib.nsh
!include FileFunc.nsh

!define PRODUCT "Plugboard"
!define PUBLISHER "Plugboard"
!define APP_EXE "plugboard.exe"
; The single-instance mutex a running Plugboard holds: tauri-plugin-single-instance names it
; after the app's identifier (src-tauri/tauri.conf.json) with "-sim" appended.
!define RUNNING_MUTEX "org.plugboard.app-sim"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${PRODUCT}"
!define SETTINGS_KEY "Software\${PRODUCT}"
; Where the app's launch-at-login switch (tauri-plugin-autostart) writes, under the app's name.
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define STARTUP_APPROVED_KEY "Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
; The WebView2 runtime registers itself under this client id: per machine in the registry's
; 32-bit view (WOW6432Node, read explicitly since this installer is 64-bit), or per user.
!define WEBVIEW2_CLIENT "Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"
!define WEBVIEW2_DOWNLOAD "https://developer.microsoft.com/microsoft-edge/webview2/"

Name "${PRODUCT}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${PRODUCT}"
InstallDirRegKey HKCU "${SETTINGS_KEY}" "InstallDir"
RequestExecutionLevel user
BrandingText "${PRODUCT} ${VERSION}"

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${PRODUCT}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${PRODUCT} installer"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "LegalCopyright" "The Plugboard authors"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_WELCOMEPAGE_TEXT "This installs ${PRODUCT} ${VERSION}, which lets games and apps control your toys \
  (a Buttplug server on ws://127.0.0.1:12345), with the headless plugboard-engine beside it.$\r$\n$\r$\n\
  Click Next to continue."
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${PRODUCT}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; Files in use cannot be replaced or removed, and quitting the app is what stops the toys it
; drives: so the user quits it (from its tray menu), rather than the installer killing it.
!macro WAIT_UNTIL_NOT_RUNNING
  ${Do}
    System::Call 'kernel32::OpenMutexW(i 0x00100000, i 0, w "${RUNNING_MUTEX}") p .r0'
    ${If} $0 P= 0
      ${Break}
    ${EndIf}
    System::Call 'kernel32::CloseHandle(p r0)'
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION \
      "${PRODUCT} is running. Quit it from its tray icon's menu (which stops every device), then click Retry." \
      /SD IDCANCEL IDRETRY +2
    Abort
  ${Loop}
!macroend

Function .onInit
  !insertmacro WAIT_UNTIL_NOT_RUNNING
FunctionEnd

Function un.onInit
  !insertmacro WAIT_UNTIL_NOT_RUNNING
FunctionEnd

Section "Install"
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  File "${STAGE}/plugboard.exe"
  File "${STAGE}/plugboard-engine.exe"
  File "${STAGE}/WebView2Loader.dll"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0

  WriteRegStr HKCU "${SETTINGS_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE},0"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" $0

  Call WarnIfNoWebView2
SectionEnd

; The window is drawn by Microsoft's WebView2 runtime, which Windows 11 has and Windows 10 may
; lack. Without it the app cannot open its window, so say so and where to get it; the installer
; carries no copy of the runtime.
Function WarnIfNoWebView2
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\${WEBVIEW2_CLIENT}" "pv"
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKCU "Software\${WEBVIEW2_CLIENT}" "pv"
  ${EndIf}
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    DetailPrint "The Microsoft Edge WebView2 Runtime is not installed: ${PRODUCT}'s window needs it."
    MessageBox MB_YESNO|MB_ICONINFORMATION \
      "${PRODUCT}'s window needs the Microsoft Edge WebView2 Runtime, which this computer does not have yet.$\r$\n$\r$\n\
      Install it from Microsoft (the Evergreen Bootstrapper), then start ${PRODUCT}. Open the download page now?" \
      /SD IDNO IDNO +2
    ExecShell "open" "${WEBVIEW2_DOWNLOAD}"
  ${Else}
    DetailPrint "Microsoft Edge WebView2 Runtime $0 found."
  ${EndIf}
FunctionEnd

Section "Uninstall"
  SetShellVarContext current
  Delete "$INSTDIR\plugboard.exe"
  Delete "$INSTDIR\plugboard-engine.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  ; The uninstaller runs from a copy in %TEMP%, started by the one in $INSTDIR, which may
  ; still be closing: retry its removal for up to 5 s instead of leaving it behind.
  StrCpy $0 0
  uninstaller_delete:
  Delete "$INSTDIR\uninstall.exe"
  IfFileExists "$INSTDIR\uninstall.exe" 0 uninstaller_gone
  IntOp $0 $0 + 1
  Sleep 200
  IntCmp $0 25 uninstaller_gone uninstaller_delete uninstaller_gone
  uninstaller_gone:
  ; Only when empty: the folder may have been one the user keeps other files in.
  RMDir "$INSTDIR"

  Delete "$SMPROGRAMS\${PRODUCT}.lnk"

  DeleteRegValue HKCU "${RUN_KEY}" "${PRODUCT}"
  DeleteRegValue HKCU "${STARTUP_APPROVED_KEY}" "${PRODUCT}"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "${SETTINGS_KEY}"
SectionEnd
