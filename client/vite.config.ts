import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The client runs on its own origin (default http://localhost:5173) and talks to the API on
// VITE_API_URL cross-origin, so CORS, cookies and the CSRF Origin check are exercised as in production.
export default defineConfig({
  plugins: [react()],
  // The SDK (../sdk) and the types-only contract (../src/contract) live outside this folder.
  server: {
    host: 'localhost',
    port: 5173,
    strictPort: true,
    fs: { allow: ['.', '../sdk', '../src/contract'] },
  },
  preview: { host: 'localhost', port: 4173, strictPort: true },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
});
