// Vite builds the page into target/classes/web, where Maven packs it into prism.jar under web/.
// `npm run dev` serves it with a mock of Prism's JSON routes (dev/mock.js), or, with
// PRISM_HTTP=http://host:port, proxies them to a running Prism. Neither is part of the build.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { prismMock } from './dev/mock.js';

const prism = process.env.PRISM_HTTP;

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: the page works at / and under any prefix a proxy puts it at.
  base: './',
  build: {
    outDir: fileURLToPath(new URL('../target/classes/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: prism ? { '/prism': { target: prism, changeOrigin: true } } : undefined,
  },
  plugins: prism ? [] : [prismMock()],
});
