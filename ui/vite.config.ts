import { defineConfig } from 'vite';

// Tauri v2 front end: a fixed dev port the shell's devUrl points at (http://localhost:1420),
// and a relative base so ui/dist works from the embedded asset protocol.
export default defineConfig({
  base: './',
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  envPrefix: ['VITE_', 'TAURI_ENV_'],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2021',
    sourcemap: false,
  },
});
