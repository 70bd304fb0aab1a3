// Vite configuration of the fedihost panel.
// `npm run dev` proxies /api to a running `fedihost serve`; set
// FEDIHOST_API=http://127.0.0.1:PORT (default http://127.0.0.1:8080).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
  },
  server: {
    proxy: {
      '/api': {
        target: process.env.FEDIHOST_API || 'http://127.0.0.1:8080',
        changeOrigin: false,
      },
    },
  },
});
