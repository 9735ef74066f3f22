import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Libraries get chunks of their own so that the first page loads only what it needs and
// browsers keep them cached across releases. ECharts and the API docs (swagger-ui) are only
// reached through lazily loaded routes, so they never weigh on the first page.
const groups: { name: string; test: RegExp; priority: number }[] = [
  { name: 'echarts', test: /[\\/]node_modules[\\/](echarts|zrender)[\\/]/, priority: 30 },
  { name: 'react', test: /[\\/]node_modules[\\/](react|react-dom|scheduler|react-router|react-router-dom)[\\/]/, priority: 20 },
  { name: 'antd', test: /[\\/]node_modules[\\/](antd|@ant-design|@rc-component|rc-[^\\/]+|dayjs|@emotion|stylis)[\\/]/, priority: 10 },
];

export default defineConfig({
  plugins: [react()],
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      output: {
        codeSplitting: { groups },
      },
    },
  },
  server: {
    proxy: {
      '/api': process.env.JICAI_API ?? 'http://127.0.0.1:8080',
      '/healthz': process.env.JICAI_API ?? 'http://127.0.0.1:8080',
    },
  },
});
