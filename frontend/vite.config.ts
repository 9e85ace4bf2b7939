/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv } from "vite";

// `npm run dev` and `npm run preview` proxy /api (and the backend's own pages the
// dashboard links to) to the backend: http://127.0.0.1:8000 unless VITE_BACKEND says
// otherwise (the e2e run points it at the backend it starts).
export default defineConfig(({ mode }) => {
  const env = { ...loadEnv(mode, process.cwd(), "VITE_"), ...process.env };
  const backend = env.VITE_BACKEND || "http://127.0.0.1:8000";
  const proxy = Object.fromEntries(
    ["/api", "/docs", "/redoc", "/q", "/t", "/checkout", "/demo"].map((path) => [
      path,
      { target: backend, changeOrigin: false },
    ]),
  );
  return {
    plugins: [react()],
    server: { port: 5173, strictPort: false, proxy },
    preview: { port: 4173, strictPort: false, proxy },
    test: {
      environment: "jsdom",
      setupFiles: ["./src/test/setup.ts"],
      include: ["src/**/*.test.{ts,tsx}"],
      css: false,
    },
  };
});
